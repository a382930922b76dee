import { createHmac, randomBytes } from 'node:crypto';

/**
 * A store's master key (restic's model): random, made once per store, never leaving the store
 * except wrapped by a user key. `encKey` seals objects; `macKey` names blocks. Its `id` is public:
 * volume records carry it, so an error can say which key a volume needs.
 */
export interface MasterKey {
  id: string;
  encKey: Buffer;
  macKey: Buffer;
}

const KEY_BYTES = 32;

export function generateMasterKey(): MasterKey {
  return { id: randomBytes(8).toString('hex'), encKey: randomBytes(KEY_BYTES), macKey: randomBytes(KEY_BYTES) };
}

export function encodeMasterKey(key: MasterKey): Buffer {
  return Buffer.from(JSON.stringify({ Id: key.id, EncKey: key.encKey.toString('base64'), MacKey: key.macKey.toString('base64') }));
}

/** undefined for anything that is not a master key as encodeMasterKey writes one. */
export function decodeMasterKey(data: Buffer): MasterKey | undefined {
  try {
    const raw = JSON.parse(data.toString('utf8')) as { Id?: unknown; EncKey?: unknown; MacKey?: unknown };
    if (typeof raw.Id !== 'string' || typeof raw.EncKey !== 'string' || typeof raw.MacKey !== 'string') return undefined;
    const encKey = Buffer.from(raw.EncKey, 'base64');
    const macKey = Buffer.from(raw.MacKey, 'base64');
    return encKey.length === KEY_BYTES && macKey.length === KEY_BYTES ? { id: raw.Id, encKey, macKey } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An encrypted block's name: HMAC-SHA-256 of its uncompressed bytes under the master key, hex
 * (64 characters, the shape of a plain block's name). Equal blocks share a name under one key,
 * so dedup works; without the key the name says nothing about the content.
 */
export function keyedBlockName(macKey: Buffer, data: Buffer): string {
  return createHmac('sha256', macKey).update(data).digest('hex');
}
