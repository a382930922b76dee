import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { STORE_ROOT } from '../layout.js';
import { runWorkers } from '../workers.js';
import { decodeMasterKey, encodeMasterKey, type MasterKey } from './master-key.js';
import { openObject, sealObject } from './seal.js';
import { deriveWrappingKey, type KdfParams, kdfFits, newKdfParams, type UserKey } from './user-key.js';

/**
 * The store's key records, restic's model: `convoy-objectstore/keys/<id>.key`, each the master
 * key sealed by one user key. Adding or removing a user key rewrites one small record; the data
 * is never re-encrypted. The records are plaintext JSON but for `Data`: ids, KDF parameters and
 * labels are not secret.
 */
export const KEYS_DIR = `${STORE_ROOT}/keys/`;
const KEY_FILE = /^([0-9a-f]{16})\.key$/;

export interface KeyRecord extends KdfParams {
  Id: string;
  MasterKeyId: string;
  CreatedTime: string;
  Label: string;
  /** The master key, sealed (base64) by the key this record's KDF derives. */
  Data: string;
}

export interface KeyInfo {
  id: string;
  masterKeyId: string;
  kind: UserKey['kind'];
  createdAt: string;
  label: string;
}

export const keyRecordKey = (id: string): string => `${KEYS_DIR}${id}.key`;

/**
 * Every key record; anything else in the keys directory (an unreadable record, a file Convoy
 * does not name so) is reported in `broken` (verify names it), not fatal.
 */
export async function loadKeyRecords(store: ObjectStore): Promise<{ records: KeyRecord[]; broken: string[] }> {
  const { files } = await store.listDir(KEYS_DIR);
  const records: KeyRecord[] = [];
  const broken: string[] = [];
  await runWorkers(files, 8, async (file) => {
    const id = KEY_FILE.exec(file)?.[1];
    if (!id) {
      broken.push(`${KEYS_DIR}${file}`);
      return;
    }
    const data = await store.get(keyRecordKey(id));
    if (!data) return;
    const record = parseKeyRecord(data);
    if (record && record.Id === id) records.push(record);
    else broken.push(keyRecordKey(id));
  });
  return { records: records.sort((a, b) => a.CreatedTime.localeCompare(b.CreatedTime) || a.Id.localeCompare(b.Id)), broken };
}

export function describeKey(record: KeyRecord): KeyInfo {
  return {
    id: record.Id,
    masterKeyId: record.MasterKeyId,
    kind: record.Kdf === 'scrypt' ? 'passphrase' : 'key-file',
    createdAt: record.CreatedTime,
    label: record.Label,
  };
}

/** The master key `userKey` opens, trying every record whose KDF fits; undefined when none does. */
export async function openWithUserKey(records: readonly KeyRecord[], userKey: UserKey): Promise<{ master: MasterKey; record: KeyRecord } | undefined> {
  for (const record of records) {
    if (!kdfFits(userKey, record)) continue;
    const wrapping = await deriveWrappingKey(userKey, record);
    let master: MasterKey | undefined;
    try {
      master = decodeMasterKey(openObject(wrapping, keyRecordKey(record.Id), Buffer.from(record.Data, 'base64')));
    } catch {
      continue; // another user's key
    }
    if (master && master.id === record.MasterKeyId) return { master, record };
  }
  return undefined;
}

export async function writeKeyRecord(store: ObjectStore, master: MasterKey, userKey: UserKey, label: string): Promise<KeyRecord> {
  const Id = randomBytes(8).toString('hex');
  const kdf = newKdfParams(userKey);
  const wrapping = await deriveWrappingKey(userKey, kdf);
  const record: KeyRecord = {
    Id,
    MasterKeyId: master.id,
    CreatedTime: new Date().toISOString(),
    Label: label,
    ...kdf,
    Data: sealObject(wrapping, keyRecordKey(Id), encodeMasterKey(master)).toString('base64'),
  };
  await store.put(keyRecordKey(Id), Buffer.from(JSON.stringify(record)));
  return record;
}

function parseKeyRecord(data: Buffer): KeyRecord | undefined {
  try {
    const raw = JSON.parse(data.toString('utf8')) as Partial<KeyRecord>;
    const strings = ['Id', 'MasterKeyId', 'CreatedTime', 'Data', 'Salt'] as const;
    if (strings.some((f) => typeof raw[f] !== 'string')) return undefined;
    if (raw.Kdf !== 'scrypt' && raw.Kdf !== 'hkdf-sha256') return undefined;
    return { ...(raw as KeyRecord), Label: typeof raw.Label === 'string' ? raw.Label : '' };
  } catch {
    return undefined;
  }
}

export function noKeyOpens(store: ObjectStore, records: readonly KeyRecord[]): ConvoyError {
  const masters = [...new Set(records.map((r) => r.MasterKeyId))];
  return new ConvoyError(
    'KEY_REQUIRED',
    `the encryption key given opens none of the ${records.length} key(s) of ${store.url} (store key ${masters.join(', ')}): wrong passphrase or key file`,
    {
      details: { store: store.url, masterKeyIds: masters },
    },
  );
}
