import { hkdfSync, randomBytes, type ScryptOptions, scrypt as scryptCb } from 'node:crypto';
import { ConvoyError } from '@convoy/core';

/**
 * What a user holds: a passphrase (stretched by scrypt, memory-hard, so a stolen key record
 * resists guessing) or the bytes of a key file (already random: HKDF suffices). Either one
 * unwraps the store's master key; neither ever reaches the store.
 */
export interface UserKey {
  kind: 'passphrase' | 'key-file';
  secret: Buffer;
}

export interface KdfParams {
  Kdf: 'scrypt' | 'hkdf-sha256';
  Salt: string;
  N?: number;
  R?: number;
  P?: number;
}

/** scrypt at 2^15 × 8: 32 MiB and ~0.1 s per try, restic's and age's order of cost. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const MIN_KEY_FILE_BYTES = 32;

export function checkUserKey(key: UserKey): UserKey {
  if (key.kind === 'key-file' && key.secret.length < MIN_KEY_FILE_BYTES) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `an encryption key file must hold at least ${MIN_KEY_FILE_BYTES} random bytes (e.g. head -c 32 /dev/urandom > key); this one holds ${key.secret.length}`,
    );
  }
  if (key.kind === 'passphrase' && key.secret.length === 0) throw new ConvoyError('INVALID_ARGUMENT', 'the encryption passphrase is empty');
  return key;
}

export function newKdfParams(key: UserKey): KdfParams {
  const Salt = randomBytes(16).toString('base64');
  return key.kind === 'passphrase' ? { Kdf: 'scrypt', Salt, N: SCRYPT.N, R: SCRYPT.r, P: SCRYPT.p } : { Kdf: 'hkdf-sha256', Salt };
}

/** Whether this record's KDF is the one this kind of user key goes through (others are not tried). */
export function kdfFits(key: UserKey, params: KdfParams): boolean {
  return (key.kind === 'passphrase') === (params.Kdf === 'scrypt');
}

/** The 32-byte key that wraps the master key in one key record. */
export async function deriveWrappingKey(key: UserKey, params: KdfParams): Promise<Buffer> {
  const salt = Buffer.from(params.Salt, 'base64');
  if (params.Kdf === 'hkdf-sha256') return Buffer.from(hkdfSync('sha256', key.secret, salt, 'convoy backup key file', 32));
  const { N = 0, R = 0, P = 0 } = params;
  // A hostile record must not make us allocate gigabytes: cap what we accept at 16x our default.
  if (N > 2 ** 19 || R > 16 || P > 4 || N < 2) throw new ConvoyError('CORRUPT', `key record asks for scrypt N=${N} r=${R} p=${P}, outside what Convoy accepts`);
  const options: ScryptOptions = { N, r: R, p: P, maxmem: 256 * N * R + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(key.secret, salt, 32, options, (err, out) => (err ? reject(err) : resolve(out))));
}
