import type { ObjectStore } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { backupConfigKey, backupNameFromConfigFile, backupsDir, VOLUMES_ROOT, volumeConfigKey, volumeDir, volumeNameFromDir } from './layout.js';
import { type BackupConfig, decodeBackupConfig, decodeVolumeConfig, encodeBackupConfig, encodeVolumeConfig, type VolumeConfig } from './records.js';
import { runWorkers } from './workers.js';

/** Reading and writing the store's records; every read is validated (see records.ts). */

export interface StoredVolume {
  volume: VolumeConfig;
  /** The record as found, so fields written by others survive a rewrite. */
  raw: Record<string, unknown>;
}

export async function loadVolumeConfig(store: ObjectStore, volumeName: string, signal?: AbortSignal): Promise<StoredVolume | undefined> {
  const key = volumeConfigKey(volumeName);
  const data = await store.get(key, { signal });
  if (!data) return undefined;
  const stored = decodeVolumeConfig(data, key);
  if (stored.volume.Name !== volumeName) throw new ConvoyError('CORRUPT', `store record ${key} names volume ${stored.volume.Name}, not ${volumeName}`);
  return stored;
}

export async function saveVolumeConfig(store: ObjectStore, volume: VolumeConfig, raw?: Record<string, unknown>): Promise<void> {
  await store.put(volumeConfigKey(volume.Name), encodeVolumeConfig(volume, raw));
}

export async function loadBackupConfig(store: ObjectStore, volumeName: string, backupName: string, signal?: AbortSignal): Promise<BackupConfig | undefined> {
  const key = backupConfigKey(volumeName, backupName);
  const data = await store.get(key, { signal });
  return data ? checkBackupNames(decodeBackupConfig(data, key), volumeName, backupName, key) : undefined;
}

export function checkBackupNames(backup: BackupConfig, volumeName: string, backupName: string, key: string): BackupConfig {
  if (backup.Name !== backupName || backup.VolumeName !== volumeName) {
    throw new ConvoyError('CORRUPT', `store record ${key} describes backup ${backup.Name} of volume ${backup.VolumeName}, not ${backupName} of ${volumeName}`);
  }
  return backup;
}

export async function requireBackupConfig(store: ObjectStore, volumeName: string, backupName: string): Promise<BackupConfig> {
  const backup = await loadBackupConfig(store, volumeName, backupName);
  if (!backup) throw backupNotFound(store, volumeName, backupName);
  return backup;
}

export function backupNotFound(store: ObjectStore, volumeName: string, backupName: string): ConvoyError {
  return new ConvoyError('NOT_FOUND', `backup ${backupName} of volume ${volumeName} does not exist in ${store.url}`, {
    details: { backup: backupName, volume: volumeName, store: store.url },
  });
}

export async function saveBackupConfig(store: ObjectStore, backup: BackupConfig): Promise<void> {
  await store.put(backupConfigKey(backup.VolumeName, backup.Name), encodeBackupConfig(backup));
}

/** Names of the complete backups of a volume: only a written record makes a backup exist. */
export async function listBackupNames(store: ObjectStore, volumeName: string): Promise<string[]> {
  const { files } = await store.listDir(backupsDir(volumeName));
  return files.map(backupNameFromConfigFile).filter((name): name is string => name !== undefined);
}

/**
 * Volume names by walking the three directory levels: a few listings, never the block trees.
 * Some S3 look-alikes (s3rver) leave out common prefixes whose directory holds only more
 * directories, so the walk finds nothing; when it finds nothing although the volume tree is not
 * empty, the names come from a full listing of the tree instead (slow, but right).
 */
export async function listVolumeNames(store: ObjectStore): Promise<string[]> {
  const level2: string[] = [];
  await runWorkers((await store.listDir(VOLUMES_ROOT)).dirs, 8, async (l1) => {
    for (const l2 of (await store.listDir(`${VOLUMES_ROOT}${l1}/`)).dirs) level2.push(`${VOLUMES_ROOT}${l1}/${l2}/`);
  });
  const names = new Set<string>();
  await runWorkers(level2, 8, async (dir) => {
    for (const leaf of (await store.listDir(dir)).dirs) addIfVolumeDir(names, `${dir}${leaf}/`);
  });
  if (names.size === 0 && !(await isEmpty(store, VOLUMES_ROOT))) {
    for await (const { key } of store.list(VOLUMES_ROOT)) if (key.endsWith('/volume.cfg')) addIfVolumeDir(names, key.slice(0, -'volume.cfg'.length));
  }
  return [...names].sort();
}

/** Adds the volume a directory key stands for, if it sits exactly where Convoy would look for it. */
function addIfVolumeDir(names: Set<string>, dir: string): void {
  const name = volumeNameFromDir(dir.slice(0, -1).split('/').pop()!);
  if (name !== undefined && volumeDir(name) === dir) names.add(name);
}

/** True when nothing is stored under `prefix`; costs one listing request whatever is there. */
export async function isEmpty(store: ObjectStore, prefix: string): Promise<boolean> {
  for await (const _ of store.list(prefix)) return false;
  return true;
}
