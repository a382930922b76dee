import type { ObjectStore } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { STORE_ROOT } from '../layout.js';
import { describeKey, type KeyInfo, type KeyRecord, keyRecordKey, loadKeyRecords, noKeyOpens, openWithUserKey, writeKeyRecord } from './key-records.js';
import { generateMasterKey, type MasterKey } from './master-key.js';
import { checkUserKey, type UserKey } from './user-key.js';

/** `convoy backup init STORE --encrypt` leaves this: every new volume of the store is encrypted. */
export const ENCRYPTION_CONFIG_KEY = `${STORE_ROOT}/encryption.cfg`;

/**
 * The user key a daemon or CLI was given, and the master keys it has opened, per store URL: a
 * passphrase costs one scrypt per store per process, not one per operation.
 *
 * A cached master key never outlives the store's own record of it: the store at a URL may be
 * wiped and encrypted anew by another host. Every use first reads the store's key records and
 * uses the cached key only if the very record it was opened from (same id, same sealed bytes:
 * only a holder of the key could have made it) is still there; else the cache is dropped and the
 * key is opened afresh from what the store holds now, or refused.
 */
export class Keyring {
  private readonly opened = new Map<string, Promise<Opened>>();
  readonly userKey: UserKey | undefined;

  constructor(userKey?: UserKey) {
    this.userKey = userKey && checkUserKey(userKey);
  }

  /** The store's master key; KEY_REQUIRED when no key was given or it opens none of the store's. */
  async unlock(store: ObjectStore, why: string): Promise<MasterKey> {
    const userKey = this.requireUserKey(store, why);
    return this.unlockFrom(store, userKey, (await loadKeyRecords(store)).records);
  }

  private async unlockFrom(store: ObjectStore, userKey: UserKey, records: readonly KeyRecord[]): Promise<MasterKey> {
    const cached = this.opened.get(store.url);
    if (cached) {
      const opened = await cached.catch(() => undefined);
      if (opened && records.some((r) => r.Id === opened.record.Id && r.Data === opened.record.Data && r.MasterKeyId === opened.master.id)) return opened.master;
      if (this.opened.get(store.url) === cached) this.opened.delete(store.url);
    }
    const opening = unlockStore(store, userKey, records);
    this.opened.set(store.url, opening);
    opening.catch(() => {
      if (this.opened.get(store.url) === opening) this.opened.delete(store.url);
    });
    return (await opening).master;
  }

  /** The store's master key, made (with a key record for our user key) when the store has none. */
  async unlockOrCreate(store: ObjectStore, why: string): Promise<MasterKey> {
    const userKey = this.requireUserKey(store, why);
    const { records } = await loadKeyRecords(store);
    if (records.length > 0) return this.unlockFrom(store, userKey, records);
    const master = generateMasterKey();
    const ours = await writeKeyRecord(store, master, userKey, 'first key');
    // Two hosts making a store's first key at once would make two master keys: the one whose
    // record sorts first wins, the other host withdraws its record and adopts nothing.
    const after = (await loadKeyRecords(store)).records;
    const masters = new Set(after.map((r) => r.MasterKeyId));
    if (masters.size > 1) {
      await store.delete([keyRecordKey(ours.Id)]);
      throw new ConvoyError('LOCKED', `another host created the encryption key of ${store.url} at the same time; retry`);
    }
    this.opened.set(store.url, Promise.resolve({ master, record: ours }));
    return master;
  }

  private requireUserKey(store: ObjectStore, why: string): UserKey {
    if (this.userKey) return this.userKey;
    throw new ConvoyError(
      'KEY_REQUIRED',
      `${why}, and no encryption key was given: pass --encryption-key-file, set CONVOY_ENCRYPTION_PASSPHRASE, or answer the prompt on a terminal`,
      {
        details: { store: store.url },
      },
    );
  }
}

/** A master key and the store record it was opened from. */
interface Opened {
  master: MasterKey;
  record: KeyRecord;
}

async function unlockStore(store: ObjectStore, userKey: UserKey, records: readonly KeyRecord[]): Promise<Opened> {
  if (records.length === 0) throw new ConvoyError('NOT_FOUND', `${store.url} has no encryption keys; run convoy backup init ${store.url} --encrypt`);
  const opened = await openWithUserKey(records, userKey);
  if (!opened) throw noKeyOpens(store, records);
  return opened;
}

/** Makes the store's master key if needed and marks the store so every new volume is encrypted. */
export async function initEncryptedStore(store: ObjectStore, keyring: Keyring): Promise<{ masterKeyId: string }> {
  const master = await keyring.unlockOrCreate(store, `encrypting ${store.url} needs a key`);
  await store.put(ENCRYPTION_CONFIG_KEY, Buffer.from(JSON.stringify({ MasterKeyId: master.id, EncryptNewVolumes: true })));
  return { masterKeyId: master.id };
}

export async function encryptsNewVolumes(store: ObjectStore): Promise<boolean> {
  const data = await store.get(ENCRYPTION_CONFIG_KEY);
  if (!data) return false;
  try {
    return (JSON.parse(data.toString('utf8')) as { EncryptNewVolumes?: unknown }).EncryptNewVolumes === true;
  } catch {
    throw new ConvoyError('CORRUPT', `store record ${ENCRYPTION_CONFIG_KEY} is not valid JSON`, { details: { key: ENCRYPTION_CONFIG_KEY } });
  }
}

export async function listKeys(store: ObjectStore): Promise<KeyInfo[]> {
  return (await loadKeyRecords(store)).records.map(describeKey);
}

/** Adds `newKey` as another way to open the store; `keyring`'s key proves the caller may. */
export async function addKey(store: ObjectStore, keyring: Keyring, newKey: UserKey, label = ''): Promise<KeyInfo> {
  const master = await keyring.unlock(store, `adding a key to ${store.url} needs one of its keys`);
  return describeKey(await writeKeyRecord(store, master, checkUserKey(newKey), label));
}

/** Removes one key record; never the last one, which would make every encrypted backup unreadable. */
export async function removeKey(store: ObjectStore, keyring: Keyring, id: string): Promise<void> {
  await keyring.unlock(store, `removing a key from ${store.url} needs one of its keys`);
  const { records } = await loadKeyRecords(store);
  if (!records.some((r) => r.Id === id))
    throw new ConvoyError('NOT_FOUND', `${store.url} has no key ${JSON.stringify(id)}; convoy backup key list shows its keys`);
  if (records.length === 1) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `key ${id} is the last key of ${store.url}; removing it would make every encrypted backup in it unreadable. Add another key first`,
    );
  }
  await store.delete([keyRecordKey(id)]);
}
