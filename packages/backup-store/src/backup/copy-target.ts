// The target side of `backup copy`: which keys seal the copy, and the target's volume.cfg. Every
// refusal here happens before anything is written to the target (the copy's "validate before save").
import { randomBytes } from 'node:crypto';
import type { ObjectStore, StoreLayout } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import type { EncryptionMemory } from './crypto/downgrade-guard.js';
import type { Keyring } from './crypto/keyring.js';
import { accessVolumeForBackup, ENCRYPTION_KEY_FIELD, encryptionKeyIdOf, type VolumeAccess } from './crypto/volume-access.js';
import { BLOCK_SIZE, STORE_ROOT } from './layout.js';
import { type BackupConfig, backupBlockSize, backupMode, layoutOf, type VolumeConfig, volumeBlockSize } from './records.js';
import { loadVolumeConfig, type StoredVolume, saveVolumeConfig } from './store-records.js';

/**
 * How the copy reaches the target volume. Encryption follows the source and never silently
 * changes: an encrypted source into a volume the target holds in the clear is refused (that
 * would be a downgrade), and a clear source into a volume the target holds encrypted is refused
 * unless the caller asked for it (`encrypt`). A volume new to the target is encrypted when the
 * source is, when asked, or when the target store encrypts every new volume (`backup init
 * --encrypt`); its master key is unlocked, or made, with the target's key exactly as `backup
 * create --encrypt` would.
 */
export async function accessCopyTarget(p: {
  store: ObjectStore;
  volumeName: string;
  sourceEncrypted: boolean;
  encrypt: boolean;
  keyring: Keyring;
  memory: EncryptionMemory;
  existing: StoredVolume | undefined;
}): Promise<VolumeAccess> {
  const targetKeyId = p.existing && encryptionKeyIdOf(p.volumeName, p.existing.raw);
  if (p.existing && p.sourceEncrypted && !targetKeyId) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `volume ${p.volumeName} is encrypted in the source but ${p.store.url} holds it unencrypted; copying would store it in the clear. Copy it to another store, or delete its backups there first`,
      { details: { volume: p.volumeName, store: p.store.url } },
    );
  }
  if (p.existing && !p.sourceEncrypted && targetKeyId && !p.encrypt) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `volume ${p.volumeName} is unencrypted in the source but ${p.store.url} holds it encrypted with store key ${targetKeyId}; pass --encrypt to seal the copies with that key`,
      { details: { volume: p.volumeName, store: p.store.url, keyId: targetKeyId } },
    );
  }
  return accessVolumeForBackup(p.store, p.volumeName, p.keyring, p.sourceEncrypted || (p.encrypt && !p.existing), p.memory);
}

/**
 * The target's volume.cfg, made from the source's when the target has none: same driver, size,
 * creation time and block size; the layout is the target's own choice (`layout`, else packs).
 * An existing one must agree on driver and block size, or the copied block maps would not fit.
 */
export async function ensureTargetVolume(p: {
  store: ObjectStore;
  source: VolumeConfig;
  first: BackupConfig;
  existing: StoredVolume | undefined;
  layout: StoreLayout | undefined;
  packSize: number;
  encryptionKeyId: string | undefined;
}): Promise<StoredVolume> {
  const name = p.source.Name;
  const delta = backupMode(p.first) === 'delta-block';
  const blockSize = delta ? backupBlockSize(p.first) : volumeBlockSize(p.source);
  if (p.existing) {
    const { volume } = p.existing;
    if (volume.Driver && p.first.Driver && volume.Driver !== p.first.Driver) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `volume ${name} in ${p.store.url} holds backups made by driver ${volume.Driver}, not ${p.first.Driver}; copy to another store`,
        {
          details: { volume: name, driver: volume.Driver },
        },
      );
    }
    if (delta && volumeBlockSize(volume) !== blockSize) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `volume ${name} is backed up in ${volumeBlockSize(volume)}-byte blocks in ${p.store.url} but in ${blockSize}-byte blocks in the source; copy to another store`,
        { details: { volume: name, blockSize: volumeBlockSize(volume), sourceBlockSize: blockSize } },
      );
    }
    if (p.layout !== undefined && delta && p.layout !== layoutOf(volume)) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `volume ${name} is stored in the ${layoutOf(volume)} layout in ${p.store.url}; leave --layout out or copy to another store`,
        {
          details: { volume: name, layout: layoutOf(volume), requested: p.layout },
        },
      );
    }
    return p.existing;
  }
  const layout = delta ? (p.layout ?? 'packs') : undefined;
  const volume: VolumeConfig = {
    Name: name,
    Driver: p.source.Driver || p.first.Driver,
    Size: p.source.Size,
    CreatedTime: p.source.CreatedTime,
    LastBackupName: '',
    ...(blockSize !== BLOCK_SIZE ? { BlockSize: blockSize } : {}),
    ...(layout === 'packs' ? { Layout: layout, PackSize: p.packSize } : {}),
  };
  const raw = p.encryptionKeyId ? { [ENCRYPTION_KEY_FIELD]: p.encryptionKeyId } : {};
  await saveVolumeConfig(p.store, volume, raw);
  return { volume, raw };
}

/** Points the target's volume.cfg at `backup` when it is newer than the backup it names (re-read: backups share the lock). */
export async function advanceLastBackup(
  store: ObjectStore,
  volumeName: string,
  backup: BackupConfig,
  created: string,
  lastCreatedAt: string | undefined,
): Promise<string> {
  if (lastCreatedAt !== undefined && lastCreatedAt >= created) return lastCreatedAt;
  const current = await loadVolumeConfig(store, volumeName);
  if (!current) throw new ConvoyError('NOT_FOUND', `volume ${volumeName} vanished from ${store.url} while its backups were copied`);
  await saveVolumeConfig(store, { ...current.volume, LastBackupName: backup.Name, Size: backup.VolumeSize ?? current.volume.Size }, current.raw);
  return created;
}

/**
 * Refuses copying a store onto itself, however it is spelt: the URLs may differ (a symlinked
 * directory, another endpoint for one bucket) while the objects are one. A probe object put into
 * the target and looked for in the source decides; it is removed again either way.
 */
export async function refuseSameStore(from: ObjectStore, to: ObjectStore): Promise<void> {
  const same = () =>
    new ConvoyError('INVALID_ARGUMENT', `the source ${from.url} and the target ${to.url} are the same store; copy to another store`, {
      details: { from: from.url, to: to.url },
    });
  if (from.url === to.url) throw same();
  const probe = `${STORE_ROOT}/copy-probe-${randomBytes(16).toString('hex')}`;
  await to.put(probe, Buffer.from('convoy backup copy: the same store?'));
  try {
    if (await from.head(probe)) throw same();
  } finally {
    await to.delete([probe]);
  }
}
