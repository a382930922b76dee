import { readFile } from 'node:fs/promises';
import { ConvoyError } from '@convoy/core';

/** Resolves a group name (or a numeric gid) to a gid, from /etc/group. */
export async function resolveGroupId(group: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = await readFile(groupFile, 'utf8');
  } catch (err) {
    throw new ConvoyError('INVALID_ARGUMENT', `cannot resolve socket group ${JSON.stringify(group)}: ${groupFile} is unreadable`, { cause: err });
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new ConvoyError('INVALID_ARGUMENT', `unknown socket group ${JSON.stringify(group)}: it is not in ${groupFile} (give a group name or a numeric gid)`);
}
