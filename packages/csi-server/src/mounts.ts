import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '@convoy/core';

/** Mount points are octal-escaped in mountinfo (`\040` for a space). */
function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export interface MountState {
  readOnly: boolean;
}

/** The mount at `path` (the last one stacked there wins), from /proc/self/mountinfo. */
export async function mountAt(path: string): Promise<MountState | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  let found: MountState | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    if (point !== undefined && unescapeMountField(point) === path) found = { readOnly: (fields[5] ?? '').split(',').includes('ro') };
  }
  return found;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountAt(path)) !== undefined;
}

/** Binds `source` (a directory or a device node) onto `target`, read-only when asked. */
export async function bindMount(run: CommandRunner, source: string, target: string, readOnly: boolean): Promise<void> {
  await run('mount', ['--bind', source, target]);
  if (!readOnly) return;
  try {
    await run('mount', ['-o', 'remount,bind,ro', target]);
  } catch (err) {
    // Never leave a writable bind where a read-only one was asked for.
    await run('umount', [target]).catch(() => undefined);
    throw err;
  }
}

export async function unmount(run: CommandRunner, target: string): Promise<void> {
  await run('umount', [target]);
}
