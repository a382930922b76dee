import { type CompressionMethod, ConvoyError, isCompressionMethod } from '@convoy/core';
import { BLOCK_SIZE, isBlockChecksum } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';

/**
 * The bytes of a pack object (docs/store-format.md, "Packs"):
 *
 *   blob ‖ blob ‖ … ‖ header ‖ headerLength (u32 LE) ‖ "CVPK"
 *
 * A blob is one block as stored: compressed, and for an encrypted volume sealed on its own
 * (pack-cipher.ts). The header is JSON `{"Blobs":[{Name, Offset, Length, RawLength,
 * Compression}]}`, sealed too when the volume is encrypted, so a pack describes itself: the
 * store's index objects can be rebuilt from the packs alone. Offsets count from the pack's start.
 */
export interface PackBlob {
  /** The block's name (what backup records map). */
  Name: string;
  Offset: number;
  /** Stored bytes. */
  Length: number;
  /** The block's own length, once opened. */
  RawLength: number;
  Compression: CompressionMethod;
}

export const PACK_MAGIC = Buffer.from('CVPK', 'latin1');
export const PACK_TRAILER_BYTES = 4 + PACK_MAGIC.length;
/** A header entry's JSON is about 130 bytes; this bounds it, sealing included, for space reservations. */
export const HEADER_BYTES_PER_BLOB = 192;
export const HEADER_FIXED_BYTES = 256;
/** The largest header a reader accepts: far more than a pack of 64 KiB blocks at the largest pack size needs. */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;

/** The header and trailer that close a pack holding `blobs`. */
export function encodePackTail(blobs: PackBlob[], cipher: BlobCipher | undefined): Buffer {
  const json = Buffer.from(
    JSON.stringify({ Blobs: blobs.map(({ Name, Offset, Length, RawLength, Compression }) => ({ Name, Offset, Length, RawLength, Compression })) }),
  );
  const header = cipher ? cipher.sealHeader(json) : json;
  const trailer = Buffer.alloc(PACK_TRAILER_BYTES);
  trailer.writeUInt32LE(header.length, 0);
  PACK_MAGIC.copy(trailer, 4);
  return Buffer.concat([header, trailer]);
}

/** The header's length from a pack's last bytes; CORRUPT when they are no pack trailer. */
export function headerLengthOf(tail: Buffer, packSize: number, packKey: string): number {
  if (tail.length < PACK_TRAILER_BYTES || packSize < PACK_TRAILER_BYTES) throw corruptPack(packKey, `it is ${packSize} bytes, too short for a pack`);
  const trailer = tail.subarray(tail.length - PACK_TRAILER_BYTES);
  if (!trailer.subarray(4).equals(PACK_MAGIC)) throw corruptPack(packKey, 'it does not end with a pack trailer (cut short, or not a pack)');
  const length = trailer.readUInt32LE(0);
  if (length < 2 || length > MAX_HEADER_BYTES || length > packSize - PACK_TRAILER_BYTES)
    throw corruptPack(packKey, `its trailer gives a header of ${length} bytes`);
  return length;
}

/** The blobs a pack's header lists, each checked to lie inside the pack's data. */
export function decodePackHeader(header: Buffer, packKey: string, dataLength: number, cipher: BlobCipher | undefined): PackBlob[] {
  const json = cipher ? cipher.openHeader(header, packKey) : header;
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw corruptPack(packKey, `its header is not JSON (${(err as Error).message})`);
  }
  return checkBlobs((value as { Blobs?: unknown } | null)?.Blobs, `pack ${packKey}`, dataLength);
}

/**
 * Validates a blob list (a pack header's, or an index object's entry for a pack): names are
 * block names, lengths are positive, and the blobs lie in ascending order inside `dataLength`.
 */
export function checkBlobs(value: unknown, where: string, dataLength: number): PackBlob[] {
  if (!Array.isArray(value)) throw new ConvoyError('CORRUPT', `${where} lists no blobs`);
  let end = 0;
  return value.map((entry: unknown, i) => {
    const b = (entry ?? {}) as Partial<PackBlob>;
    const bad = (why: string) => new ConvoyError('CORRUPT', `${where} is unreadable: blob ${i} ${why}`, { details: { blob: i } });
    if (!isBlockChecksum(b.Name)) throw bad(`has name ${JSON.stringify(b.Name)}`);
    if (!Number.isSafeInteger(b.Offset) || (b.Offset as number) < end)
      throw bad(`has offset ${JSON.stringify(b.Offset)}, before the end of the one before it (${end})`);
    if (!Number.isSafeInteger(b.Length) || (b.Length as number) < 1 || (b.Offset as number) + (b.Length as number) > dataLength) {
      throw bad(`has length ${JSON.stringify(b.Length)}, which does not fit in the pack's ${dataLength} bytes of data`);
    }
    if (!Number.isSafeInteger(b.RawLength) || (b.RawLength as number) < 1 || (b.RawLength as number) > BLOCK_SIZE)
      throw bad(`has raw length ${JSON.stringify(b.RawLength)}`);
    if (!isCompressionMethod(b.Compression)) throw bad(`has compression ${JSON.stringify(b.Compression)}`);
    end = (b.Offset as number) + (b.Length as number);
    return { Name: b.Name, Offset: b.Offset as number, Length: b.Length as number, RawLength: b.RawLength as number, Compression: b.Compression };
  });
}

export function corruptPack(packKey: string, why: string): ConvoyError {
  return new ConvoyError('CORRUPT', `pack ${packKey} is unreadable: ${why}`, { details: { key: packKey } });
}
