import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { ConvoyError } from '@convoy/core';

export interface BlockDevice {
  path: string;
  /** `major:minor`, how dm tables name devices without relying on /dev paths or udev. */
  number: string;
  sizeBytes: number;
}

/** Linux's dev_t encoding (glibc gnu_dev_major/minor), as Node reports it in `rdev`. */
function deviceNumber(rdev: number): string {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** `major:minor` of the device node at `path`, as mountinfo and dm tables write it. */
export async function deviceNumberOf(path: string): Promise<string> {
  return deviceNumber((await stat(path)).rdev);
}

/** Checks that `path` is a block device and returns its number and size; NOT_FOUND / INVALID_ARGUMENT otherwise. */
export async function inspectBlockDevice(path: string, option: string): Promise<BlockDevice> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new ConvoyError('NOT_FOUND', `${option}: ${path} does not exist`, { cause: err, details: { option, path } });
  }
  if (!info.isBlockDevice()) {
    throw new ConvoyError('INVALID_ARGUMENT', `${option}: ${path} is not a block device (use a disk, a partition or a loop device: losetup -f --show FILE)`, {
      details: { option, path },
    });
  }
  const number = deviceNumber(info.rdev);
  // sysfs gives the size in 512-byte sectors whatever the device's logical block size.
  const sectors = Number((await readFile(`/sys/dev/block/${number}/size`, 'utf8')).trim());
  return { path, number, sizeBytes: sectors * 512 };
}

/**
 * The first `length` bytes of a device (its superblock, for the metadata device). The device is
 * opened exclusively, which fails while it is mounted or held by another device-mapper table,
 * so a device another pool or filesystem uses is refused before anything is written to it.
 */
export async function readHeadExclusively(path: string, length: number, option: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
    throw new ConvoyError('BUSY', `${option}: ${path} is in use (mounted, or part of another device-mapper device); Convoy needs a device of its own`, {
      cause: err,
      details: { option, path },
    });
  }
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Zeroes the first `length` bytes durably: the kernel formats thin metadata whose superblock is zero. */
export async function zeroHead(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(Buffer.alloc(length), 0, length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
