import { ConvoyError } from '../../errors.js';
import type { ObjectStore } from '../../objectstore.js';
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
 * - this process's memory of what it has seen encrypted (stores that encrypt every new volume,
 *   volumes it backed up sealed), which survives the markers' removal for as long as it runs.
 *
 * Either one refuses the clear upload, with CORRUPT naming what was removed; nothing is uploaded.
 */
export class EncryptionMemory {
  private readonly stores = new Set<string>();
  private readonly volumes = new Set<string>();

  sawStoreEncryptNewVolumes(storeUrl: string): void {
    this.stores.add(storeUrl);
  }

  sawVolumeEncrypted(storeUrl: string, volumeName: string): void {
    this.volumes.add(`${storeUrl}\n${volumeName}`);
  }

  storeEncryptsNewVolumes(storeUrl: string): boolean {
    return this.stores.has(storeUrl);
  }

  volumeEncrypted(storeUrl: string, volumeName: string): boolean {
    return this.volumes.has(`${storeUrl}\n${volumeName}`);
  }
}

/** Records looked at when the last backup's is not there to ask (a GET per backup would cost too much). */
const SAMPLED_RECORDS = 8;

/**
 * Refuses a clear backup of `volumeName` when anything says it is encrypted: CORRUPT, before
 * anything is uploaded. `stored` is its volume.cfg (undefined when there is none). Asks the last
 * backup's record when volume.cfg names one that exists, else a few listed records; of each, only
 * the first bytes are read (a sealed object starts with its magic), whatever its size.
 */
export async function refuseClearBackupOfEncrypted(store: ObjectStore, volumeName: string, stored: StoredVolume | undefined, memory: EncryptionMemory): Promise<void> {
  const marker = stored ? `its ${volumeConfigKey(volumeName)} has no EncryptionKeyId` : `it has no ${volumeConfigKey(volumeName)}`;
  const last = stored?.volume.LastBackupName;
  const lastSealed = last ? await startsSealed(store, backupConfigKey(volumeName, last)) : undefined;
  if (lastSealed) throw downgrade(store, volumeName, `its backup record ${backupConfigKey(volumeName, last!)} is encrypted, but ${marker}`);
  const names = lastSealed === undefined ? await listBackupNames(store, volumeName) : [last!];
  // A volume wholly gone from the store (its backups deleted) may start afresh, in the clear.
  if ((stored || names.length > 0) && memory.volumeEncrypted(store.url, volumeName)) {
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
export function refuseClearFirstBackup(store: ObjectStore, volumeName: string, memory: EncryptionMemory, encryptionConfigKey: string): void {
  if (!memory.storeEncryptsNewVolumes(store.url)) return;
  throw new ConvoyError(
    'CORRUPT',
    `refusing to back up volume ${volumeName} unencrypted: ${store.url} encrypts every new volume (this daemon saw its ${encryptionConfigKey}), but that record is gone ` +
      `or no longer says so: someone changed the store. Nothing was uploaded. Run convoy backup init ${store.url} --encrypt again, or pass --encrypt`,
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
