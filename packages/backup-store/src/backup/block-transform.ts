import type { CompressionMethod } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { compressBlock, decompressBlock } from './block-codec.js';
import { blockChecksum } from './checksum.js';

/**
 * How the blocks of one backup are stored. Recorded per backup (`CompressionMethod` in its
 * record); plain data, because it crosses into the block workers with every task.
 */
export interface BlockFormat {
  compression: CompressionMethod;
}

/**
 * The per-block transform, in one place: plaintext block → its name in the store and the bytes
 * stored under that name, and back. The block workers (block-worker.ts) run exactly these three
 * functions and nothing else, so a new step (encryption: a keyed name, sealing after
 * compression, opening before decompression) is added here and nowhere else.
 *
 * The name is content-derived (today SHA-512 cut to 64 hex, Convoy's `GetChecksum`), which is
 * what makes a repeated PUT of a block harmless and lets a restore verify what it read.
 */
export function nameBlock(plain: Buffer, _format: BlockFormat): string {
  return blockChecksum(plain);
}

/**
 * An encrypted volume's naming (`VolumeSealing.nameBlock`: an HMAC under the volume's key). It
 * replaces `nameBlock` wherever a block is named, and runs on the calling thread, where the key
 * stays; the block workers then only compress and decompress (sealing is the store wrapper's).
 */
export type KeyedNaming = (plain: Buffer) => string;

/** The bytes to store for `plain`. With `none`, `plain` itself: keep it until the upload is done. */
export function sealBlock(plain: Buffer, format: BlockFormat): Promise<Buffer> {
  return compressBlock(format.compression, plain);
}

/**
 * The plaintext of a stored block, verified: it must be `length` bytes and carry the name it is
 * stored under. Anything else is CORRUPT, never written anywhere. `name` undefined: the caller
 * checks a keyed name itself (`verifyBlockName`).
 */
export async function openBlock(stored: Buffer, name: string | undefined, length: number, format: BlockFormat): Promise<Buffer> {
  const plain = await decompressBlock(format.compression, stored, length);
  if (plain.length !== length) throw new ConvoyError('CORRUPT', `holds ${plain.length} bytes where the backup needs ${length}`);
  if (name !== undefined) verifyBlockName(plain, name, nameBlock(plain, format));
  return plain;
}

export function verifyBlockName(plain: Buffer, name: string, actual: string): void {
  if (actual !== name) throw new ConvoyError('CORRUPT', `failed checksum verification: its ${plain.length} bytes hash to ${actual}`, { details: { actual } });
}

const zeroNames = new Map<string, string>();

/**
 * The name of a block of `length` zero bytes: a restore never fetches or writes it. An encrypted
 * volume's zero block has a keyed name, computed each time (the key never becomes a cache key).
 */
export function zeroBlockName(length: number, format: BlockFormat, keyed?: KeyedNaming): string {
  if (keyed) return keyed(Buffer.alloc(length));
  const key = `${length}:${JSON.stringify(format)}`;
  let name = zeroNames.get(key);
  if (name === undefined) {
    name = nameBlock(Buffer.alloc(length), format);
    zeroNames.set(key, name);
  }
  return name;
}
