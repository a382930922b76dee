import type { ObjectStore } from '@convoy/core';
import { ConvoyError, readJsonFile, writeJsonAtomic } from '@convoy/core';
import { backupConfigKey, volumeConfigKey } from '../layout.js';
import { listBackupNames, type StoredVolume } from '../store-records.js';
import { SEALED_MAGIC } from './seal.js';

/**
 * Once a store or a volume is encrypted it stays encrypted. The markers that say so
 * (`EncryptionKeyId` in volume.cfg, `encryption.cfg`) are plaintext objects anyone who can write
 * the bucket may delete, so before a backup goes out in the clear two witnesses are asked:
 *
 * - the volume's own history in the store: its backup records are sealed when it is encrypted,
 *   and a sealed record cannot be forged into a clear one without rewriting the whole volume;
 * - the daemon's memory of what it has seen encrypted (stores that encrypt every new volume,
 *   volumes it backed up sealed), kept in a file under its root, which the bucket cannot reach.
 *
 * Either one refuses the clear upload, with CORRUPT naming what was removed; nothing is uploaded.
 */
export class EncryptionMemory {
  private readonly stores = new Set<string>();
  private readonly volumes = new Set<string>();
  private loading: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  /** `file`: where the memory is kept across restarts (the daemon's root); in memory only without one. */
  constructor(private readonly file?: string) {}

  async sawStoreEncryptNewVolumes(storeUrl: string): Promise<void> {
    await this.load();
    if (this.stores.has(storeUrl)) return;
    this.stores.add(storeUrl);
    await this.save();
  }

  async sawVolumeEncrypted(storeUrl: string, volumeName: string): Promise<void> {
    await this.load();
    if (this.volumes.has(volumeKey(storeUrl, volumeName))) return;
    this.volumes.add(volumeKey(storeUrl, volumeName));
    await this.save();
  }

  async storeEncryptsNewVolumes(storeUrl: string): Promise<boolean> {
    await this.load();
    return this.stores.has(storeUrl);
  }

  async volumeEncrypted(storeUrl: string, volumeName: string): Promise<boolean> {
    await this.load();
    return this.volumes.has(volumeKey(storeUrl, volumeName));
  }

  private load(): Promise<void> {
    this.loading ??= this.readFile();
    return this.loading;
  }

  private async readFile(): Promise<void> {
    if (!this.file) return;
    const saved = await readJsonFile<{ Stores?: unknown; Volumes?: unknown }>(this.file);
    if (saved === undefined) return;
    const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!strings(saved.Stores) || !Array.isArray(saved.Volumes) || !saved.Volumes.every((v) => strings(v) && v.length === 2)) {
      throw new ConvoyError(
        'STATE_ERROR',
        `${this.file} is not what Convoy writes there (which stores and volumes it saw encrypted); move it aside to start afresh`,
        {
          details: { file: this.file },
        },
      );
    }
    for (const url of saved.Stores) this.stores.add(url);
    for (const [url, name] of saved.Volumes as Array<[string, string]>) this.volumes.add(volumeKey(url, name));
  }

  /** One write at a time, each of the whole memory: the last one written holds everything. */
  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    this.saving = this.saving
      .catch(() => undefined)
      .then(() => writeJsonAtomic(file, { Stores: [...this.stores].sort(), Volumes: [...this.volumes].sort().map((key) => key.split('\n')) }));
    return this.saving;
  }
}

const volumeKey = (storeUrl: string, volumeName: string): string => `${storeUrl}\n${volumeName}`;

/** Where a daemon keeps its EncryptionMemory, under its root. */
export const ENCRYPTION_MEMORY_FILE = 'encrypted-stores.json';

/** Records looked at when the last backup's is not there to ask (a GET per backup would cost too much). */
const SAMPLED_RECORDS = 8;

/**
 * Refuses a clear backup of `volumeName` when anything says it is encrypted: CORRUPT, before
 * anything is uploaded. `stored` is its volume.cfg (undefined when there is none). Asks the last
 * backup's record when volume.cfg names one that exists, else a few listed records; of each, only
 * the first bytes are read (a sealed object starts with its magic), whatever its size.
 */
export async function refuseClearBackupOfEncrypted(
  store: ObjectStore,
  volumeName: string,
  stored: StoredVolume | undefined,
  memory: EncryptionMemory,
): Promise<void> {
  const marker = stored ? `its ${volumeConfigKey(volumeName)} has no EncryptionKeyId` : `it has no ${volumeConfigKey(volumeName)}`;
  const last = stored?.volume.LastBackupName;
  const lastSealed = last ? await startsSealed(store, backupConfigKey(volumeName, last)) : undefined;
  if (lastSealed) throw downgrade(store, volumeName, `its backup record ${backupConfigKey(volumeName, last!)} is encrypted, but ${marker}`);
  const names = lastSealed === undefined ? await listBackupNames(store, volumeName) : [last!];
  // A volume wholly gone from the store (its backups deleted) may start afresh, in the clear.
  if ((stored || names.length > 0) && (await memory.volumeEncrypted(store.url, volumeName))) {
    throw downgrade(store, volumeName, `this daemon backed it up encrypted, but ${marker}`);
  }
  if (lastSealed !== undefined) return;
  for (const name of names.slice(0, SAMPLED_RECORDS)) {
    const key = backupConfigKey(volumeName, name);
    if (await startsSealed(store, key)) throw downgrade(store, volumeName, `its backup record ${key} is encrypted, but ${marker}`);
  }
}

/** Whether the object begins as a sealed one does; undefined when it does not exist. Reads only its first bytes. */
async function startsSealed(store: ObjectStore, key: string): Promise<boolean | undefined> {
  const stream = await store.getStream(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= SEALED_MAGIC.length) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, length).subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC);
}

/** A new volume, to be backed up in the clear, of a store this process saw encrypt every new volume. */
export async function refuseClearFirstBackup(store: ObjectStore, volumeName: string, memory: EncryptionMemory, encryptionConfigKey: string): Promise<void> {
  if (!(await memory.storeEncryptsNewVolumes(store.url))) return;
  throw new ConvoyError(
    'CORRUPT',
    `refusing to back up volume ${volumeName} unencrypted: ${store.url} encrypts every new volume (this daemon saw its ${encryptionConfigKey}), but that record is gone ` +
      `or no longer says so: someone changed the store. Nothing was uploaded. Run convoy backup init ${store.url} --encrypt again, or pass --encrypt ` +
      `(the daemon remembers encrypted stores in ${ENCRYPTION_MEMORY_FILE} under its root)`,
    { details: { volume: volumeName, store: store.url, key: encryptionConfigKey } },
  );
}

function downgrade(store: ObjectStore, volumeName: string, evidence: string): ConvoyError {
  return new ConvoyError(
    'CORRUPT',
    `refusing to back up volume ${volumeName} unencrypted to ${store.url}: ${evidence}. Someone removed its encryption marker; nothing was uploaded. ` +
      `Put EncryptionKeyId (the store key id, see convoy backup key list) back into its volume.cfg, or back it up to another store`,
    { details: { volume: volumeName, store: store.url } },
  );
}
