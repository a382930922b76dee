import type { CommandRunner } from '@convoy/core';
import type { FilesystemType } from './options.js';

/**
 * Makes a filesystem on a fresh thin device. A fresh thin device reads as zeros everywhere, so
 * ext4 is told so (assume_storage_prezeroed): it skips zeroing inode tables and journal, which
 * would otherwise provision pool blocks for nothing; nodiscard because there is nothing to
 * discard; 4 KiB blocks whatever the size (mke2fs would pick 1 KiB below 512 MiB). `lost+found` is removed so the new volume is empty (Convoy issue #104: MySQL and
 * others refuse a data directory that is not).
 */
export async function makeFilesystem(run: CommandRunner, fs: FilesystemType, device: string): Promise<void> {
  if (fs === 'xfs') {
    await run('mkfs.xfs', ['-q', '-K', device]);
    return;
  }
  await run('mkfs.ext4', ['-q', '-b', '4096', '-m', '0', '-E', 'nodiscard,lazy_itable_init=1,assume_storage_prezeroed=1', device]);
  await run('debugfs', ['-w', '-R', 'rmdir lost+found', device]);
}

/** The filesystem type on a device (blkid), or undefined when it holds none blkid knows. */
export async function detectFilesystem(run: CommandRunner, device: string): Promise<string | undefined> {
  // blkid exits 2 when it finds nothing to report.
  const { stdout } = await run('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { okExitCodes: [2] });
  return stdout.trim() || undefined;
}

/**
 * Mount options per filesystem. XFS refuses a second filesystem with the same UUID, and a
 * volume restored from a backup of a volume on this host has exactly that, so it mounts nouuid.
 */
export function mountOptions(fs: string): string[] {
  return fs === 'xfs' ? ['-o', 'nouuid'] : [];
}

/** Grows a mounted filesystem to fill its (already grown) device. */
export async function growFilesystem(run: CommandRunner, fs: string, device: string, mountPoint: string): Promise<void> {
  if (fs === 'xfs') await run('xfs_growfs', [mountPoint]);
  else await run('resize2fs', [device]);
}
