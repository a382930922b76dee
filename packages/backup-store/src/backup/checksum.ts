import { createHash } from 'node:crypto';

/**
 * A block's name: SHA-512 of its uncompressed bytes, lowercase hex, cut to 64 characters
 * (Convoy's `util.GetChecksum`; not SHA-256, whatever its comment said).
 */
export function blockChecksum(data: Buffer): string {
  return createHash('sha512').update(data).digest().toString('hex', 0, 32);
}
