import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * Paths inside a trusted directory, resolved on disk rather than as text: a path that reads as
 * "under root" can still lead outside it through a symlink planted in one of its components.
 * Every component below `root` is checked with lstat (never followed), so nothing is created,
 * mounted, opened or removed through a link. `root` itself is trusted as given (it may be a
 * symlink an administrator made, e.g. /var/lib/kubelet on another disk).
 *
 * The one owner of this rule: restore (extract-tar.ts) and the CSI node both go through it.
 * Each caller words its refusal: `refuse` turns the problem into that caller's error.
 */
export type RefusePath = (problem: string) => Error;

/** lstat, with a missing path as undefined. */
export async function lstatOrMissing(abs: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks (and with `create`, makes) every parent directory of `rel` ('/'-separated, free of
 * `..`) inside `root`: each must be
 * a real directory, never a symlink or a file. Without `create` a missing parent is refused,
 * unless `missingOk`, which then answers false (nothing below it can exist).
 */
export async function ensureRealParents(
  root: string,
  rel: string,
  refuse: RefusePath,
  opts: { create: boolean; mode?: number; missingOk?: boolean } = { create: true },
): Promise<boolean> {
  const parts = rel.split('/').filter((p) => p !== '');
  for (let i = 1; i < parts.length; i++) {
    const current = path.join(root, ...parts.slice(0, i));
    const stats = await lstatOrMissing(current);
    if (stats?.isDirectory()) continue;
    const shown = path.relative(root, current);
    if (stats) throw refuse(`goes through ${shown}, which is ${stats.isSymbolicLink() ? 'a symlink' : 'not a directory'}`);
    if (opts.missingOk) return false;
    if (!opts.create) throw refuse(`refers to ${shown}, which does not exist`);
    await fs.mkdir(current, { mode: opts.mode ?? 0o755 });
  }
  return true;
}

/** Makes directory `abs` (its parents already checked), or accepts the real directory already there. */
export async function makeRealDirectory(abs: string, refuse: RefusePath, mode = 0o700): Promise<void> {
  try {
    await fs.mkdir(abs, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stats = await fs.lstat(abs);
    if (!stats.isDirectory()) throw refuse(`is a ${stats.isSymbolicLink() ? 'symlink' : 'file'} where a directory is needed`);
  }
}

/**
 * Opens (creating if missing) the regular file `abs` (its parents already checked) for writing
 * without truncating it, never through a symlink (O_NOFOLLOW) and never a device or fifo.
 */
export async function openRealFile(abs: string, refuse: RefusePath): Promise<fs.FileHandle> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw refuse('is a symlink');
    throw err;
  }
  const stats = await fh.stat();
  if (!stats.isFile()) {
    await fh.close();
    throw refuse('is not a regular file');
  }
  return fh;
}
