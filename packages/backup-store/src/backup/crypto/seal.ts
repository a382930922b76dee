import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConvoyError } from '@convoy/core';

/**
 * Whole-object authenticated encryption: AES-256-GCM with a fresh random 96-bit nonce per object.
 *
 *   sealed = MAGIC(4) ‖ nonce(12) ‖ ciphertext ‖ tag(16)
 *
 * The associated data is the object's key in the store, so an object moved or swapped to
 * another name fails authentication exactly as a modified or truncated one does. Random nonces
 * are safe far beyond any store's size (2^32 objects per master key keeps the collision chance
 * under 2^-32). Pure functions of their inputs: they can run on any thread.
 */
export const SEALED_MAGIC = Buffer.from('CVE1', 'latin1');
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = SEALED_MAGIC.length + NONCE_BYTES + TAG_BYTES;
const CIPHER = 'aes-256-gcm';

export function sealObject(key: Buffer, objectKey: string, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key, nonce);
  cipher.setAAD(Buffer.from(objectKey, 'utf8'));
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([SEALED_MAGIC, nonce, body, last, cipher.getAuthTag()], SEAL_OVERHEAD + plaintext.length);
}

/** The plaintext of a sealed object, or CORRUPT naming the object when anything about it is wrong. */
export function openObject(key: Buffer, objectKey: string, sealed: Buffer): Buffer {
  if (sealed.length < SEAL_OVERHEAD || !sealed.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)) {
    throw tampered(objectKey, `it is not a sealed object (${sealed.length} bytes without the header)`);
  }
  const nonce = sealed.subarray(SEALED_MAGIC.length, SEALED_MAGIC.length + NONCE_BYTES);
  const decipher = createDecipheriv(CIPHER, key, nonce);
  decipher.setAAD(Buffer.from(objectKey, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(SEALED_MAGIC.length + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw tampered(objectKey, 'it fails authentication');
  }
}

export function tampered(objectKey: string, why: string): ConvoyError {
  return new ConvoyError('CORRUPT', `encrypted object ${objectKey} was modified, truncated or swapped: ${why}`, { details: { key: objectKey } });
}
