import { execFile } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

const run = promisify(execFile);

/** Mounting needs root (CI runs the tests as root). */
export const canMountTmpfs = { available: process.getuid?.() === 0, name: 'root (to mount a small tmpfs)', install: 'run the tests as root, as CI does' };

/**
 * A new directory with a tmpfs of `bytes` mounted on it, so a test can fill a disk for real;
 * unmounted and removed in afterAll. It lives outside any tempDir: vitest runs afterAll hooks
 * concurrently, and a removal racing the unmount would fail with EBUSY.
 */
export async function mountSmallTmpfs(bytes: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-tmpfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'convoy-test', dir]);
  afterAll(async () => {
    await run('umount', ['-l', dir]);
    await rmdir(dir);
  });
  return dir;
}
