import type { ObjectStore } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { blockChecksum } from '../checksum.js';
import { volumeConfigKey } from '../layout.js';
import { type BlobCipher, blobCipher } from '../pack-cipher.js';
import { loadVolumeConfig, type StoredVolume } from '../store-records.js';
import { type EncryptionMemory, refuseClearBackupOfEncrypted, refuseClearFirstBackup } from './downgrade-guard.js';
import { ENCRYPTION_CONFIG_KEY, encryptsNewVolumes, type Keyring } from './keyring.js';
import { keyedBlockName, type MasterKey } from './master-key.js';
import { sealedStore } from './sealed-store.js';

/**
 * How the engine reaches one volume of a store: through the sealed view with keyed block names
 * when the volume is encrypted, directly otherwise (Convoy v0.5 volumes among them, unchanged).
 * Whether a volume is encrypted is decided at its first backup and recorded in its volume.cfg as
 * `EncryptionKeyId` (the store's master key id), an additive field Convoy v0.5 ignores.
 */
export interface VolumeAccess {
  store: ObjectStore;
  /** A block's name: SHA-512/256 of its bytes in the clear (Convoy's), HMAC-SHA-256 when encrypted. */
  nameBlock: (data: Buffer) => string;
  encryptionKeyId?: string;
  /** Encrypted volumes: seals each blob of a pack on its own (pack-cipher.ts). */
  cipher?: BlobCipher;
}

export const ENCRYPTION_KEY_FIELD = 'EncryptionKeyId';

export function clearAccess(store: ObjectStore): VolumeAccess {
  return { store, nameBlock: blockChecksum };
}

/** The store key id a volume record names, undefined for a volume in the clear. */
export function encryptionKeyIdOf(volumeName: string, raw: Record<string, unknown>): string | undefined {
  const id = raw[ENCRYPTION_KEY_FIELD];
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) {
    throw new ConvoyError('CORRUPT', `store record ${volumeConfigKey(volumeName)} has ${ENCRYPTION_KEY_FIELD} ${JSON.stringify(id)}, not a store key id`);
  }
  return id;
}

/** Access to a volume that already has backups (restore, delete, list, prune, verify). */
export async function accessVolume(store: ObjectStore, volumeName: string, keyring: Keyring, known?: StoredVolume): Promise<VolumeAccess> {
  const stored = known ?? (await loadVolumeConfig(store, volumeName));
  const keyId = stored && encryptionKeyIdOf(volumeName, stored.raw);
  return keyId ? sealedAccess(store, volumeName, keyring, keyId) : clearAccess(store);
}

/**
 * Access for a backup: an existing volume keeps what its first backup chose; a new one is
 * encrypted when asked (`encrypt`) or when the store encrypts every new volume, and then gets the
 * store's master key, made now if the store has none. A backup in the clear is refused when the
 * volume's history or `memory` says it is encrypted (downgrade-guard.ts).
 */
export async function accessVolumeForBackup(
  store: ObjectStore,
  volumeName: string,
  keyring: Keyring,
  encrypt: boolean,
  memory: EncryptionMemory,
): Promise<VolumeAccess> {
  const stored = await loadVolumeConfig(store, volumeName);
  if (stored) {
    const keyId = encryptionKeyIdOf(volumeName, stored.raw);
    if (keyId) {
      await memory.sawVolumeEncrypted(store.url, volumeName);
      return sealedAccess(store, volumeName, keyring, keyId);
    }
    await refuseClearBackupOfEncrypted(store, volumeName, stored, memory);
    if (encrypt) throw notEncrypted(store, volumeName);
    return clearAccess(store);
  }
  const encryptsNew = await encryptsNewVolumes(store);
  if (encryptsNew) await memory.sawStoreEncryptNewVolumes(store.url);
  if (!encrypt && !encryptsNew) {
    await refuseClearBackupOfEncrypted(store, volumeName, undefined, memory);
    await refuseClearFirstBackup(store, volumeName, memory, ENCRYPTION_CONFIG_KEY);
    return clearAccess(store);
  }
  const master = await keyring.unlockOrCreate(store, `the first backup of volume ${volumeName} to ${store.url} is to be encrypted`);
  await memory.sawVolumeEncrypted(store.url, volumeName);
  return encryptedAccess(store, master, volumeName);
}

function encryptedAccess(store: ObjectStore, master: MasterKey, volumeName: string): VolumeAccess {
  return {
    store: sealedStore(store, master, volumeName),
    nameBlock: (data) => keyedBlockName(master.macKey, data),
    encryptionKeyId: master.id,
    cipher: blobCipher(master.encKey),
  };
}

async function sealedAccess(store: ObjectStore, volumeName: string, keyring: Keyring, keyId: string): Promise<VolumeAccess> {
  const master = await keyring.unlock(store, `volume ${volumeName} in ${store.url} is encrypted with store key ${keyId}`);
  if (master.id !== keyId) {
    throw new ConvoyError(
      'KEY_REQUIRED',
      `volume ${volumeName} in ${store.url} is encrypted with store key ${keyId}; the key given opens store key ${master.id}`,
      {
        details: { volume: volumeName, keyId, store: store.url },
      },
    );
  }
  return encryptedAccess(store, master, volumeName);
}

/** Encryption is chosen at a volume's first backup: a volume with backups in the clear stays so. */
export function notEncrypted(store: ObjectStore, volumeName: string): ConvoyError {
  return new ConvoyError(
    'INVALID_ARGUMENT',
    `volume ${volumeName} already has unencrypted backups in ${store.url}; encryption is chosen at a volume's first backup: back it up encrypted to another store`,
    { details: { volume: volumeName, store: store.url } },
  );
}
