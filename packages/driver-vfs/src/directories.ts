import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type CommandRunner, ConvoyError, fsyncDir } from '@convoy/core';
import type { VfsLayout } from './layout.js';

/**
 * Copies a directory tree with `cp -a --reflink=auto`: a reflink (shared extents, instant and
 * space-free until either side changes) where the filesystem can clone (btrfs, XFS with
 * reflink, bcachefs, NFS 4.2 servers that clone), a full copy elsewhere. `cp -a` keeps modes,
 * owners, times, links, hard links and xattrs, and the copy is flushed to stable storage
 * before it counts. No timeout: a copy takes as long as the data is big.
 */
export async function copyTree(run: CommandRunner, source: string, dest: string): Promise<void> {
  await run('cp', ['-a', '--reflink=auto', '--', source, dest], { timeoutMs: 0 });
  await syncFilesystemOf(run, dest);
}

/** `sync -f`: flushes the filesystem holding `target` (on NFS, the client's dirty pages). */
export async function syncFilesystemOf(run: CommandRunner, target: string): Promise<void> {
  await run('sync', ['-f', target], { timeoutMs: 0 });
}

/**
 * Moves a finished directory from the temp area to its final place, durably. The destination
 * must not exist: nothing is ever merged into or swapped over existing data.
 */
export async function publishDirectory(prepared: string, final: string): Promise<void> {
  await fs.mkdir(path.dirname(final), { recursive: true });
  if (await exists(final)) throw new ConvoyError('ALREADY_EXISTS', `${final} already exists; it is left untouched`);
  await fs.rename(prepared, final);
  await fsyncDir(path.dirname(final));
}

/**
 * Puts the finished directory `prepared` in the place of `final`: the old tree is renamed into
 * the temp area, the new one renamed into place, both fsync'd, then the old one deleted. A
 * crash leaves the old tree, the new one, or (between the two renames) no tree at `final`,
 * which a caller that journals the swap (a standby's sync) completes by swapping again: a
 * missing `final` is not an error here.
 */
export async function swapDirectory(layout: VfsLayout, prepared: string, final: string): Promise<void> {
  const old = layout.tempPath('replaced');
  try {
    await fs.rename(final, old);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.rename(prepared, final);
  await fsyncDir(path.dirname(final));
  await fs.rm(old, { recursive: true, force: true });
}

/**
 * Removes a tree without ever leaving a half-deleted one in place: it is first renamed into
 * the temp area (atomic), then deleted there. A crash leaves only trash, never a damaged volume.
 */
export async function discardDirectory(layout: VfsLayout, dir: string): Promise<void> {
  const trash = layout.tempPath('trash');
  await fs.mkdir(layout.tmpDir, { recursive: true });
  try {
    await fs.rename(dir, trash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fsyncDir(path.dirname(dir));
  await fs.rm(trash, { recursive: true, force: true });
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
