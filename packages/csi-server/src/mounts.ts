import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '@convoy/core';

/** Mount points are octal-escaped in mountinfo (`\040` for a space). */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Every mount point in this process's mount namespace, from /proc/self/mountinfo. */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(unescape(field));
  }
  return points;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
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
