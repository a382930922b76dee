import { ConvoyError } from '../errors.js';
import type { BackupSummary } from '../model.js';
import type { ObjectStore } from '../objectstore.js';
import { validateName } from '../names.js';
import { summarizeBackup } from './summary.js';
import { listBackupNames, listVolumeNames, loadBackupConfig, loadVolumeConfig, requireBackupConfig } from './store-records.js';
import { runWorkers } from './workers.js';

export interface ListBackupsParams {
  store: ObjectStore;
  destUrl: string;
  volumeName?: string;
  /** The store as one volume's code sees it (sealed when the volume is encrypted). */
  openVolume?: (volumeName: string) => Promise<ObjectStore>;
}

/**
 * Lists complete backups (those with a record), by volume then creation time. Volumes are found
 * by walking the three directory levels and backups by listing `backups/`: the cost grows with
 * volumes and backups, never with blocks. A named volume that is not in the store is NOT_FOUND.
 */
export async function listBackups(p: ListBackupsParams): Promise<BackupSummary[]> {
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  const summaries: BackupSummary[] = [];
  await runWorkers(volumes, 4, async (volumeName) => {
    const stored = await loadVolumeConfig(p.store, volumeName);
    if (!stored) {
      if (p.volumeName) throw new ConvoyError('NOT_FOUND', `volume ${volumeName} has no backups in ${p.store.url}`, { details: { volume: volumeName } });
      return;
    }
    const store = p.openVolume ? await p.openVolume(volumeName) : p.store;
    await runWorkers(await listBackupNames(store, volumeName), 8, async (backupName) => {
      // A record deleted between the listing and the read is simply gone.
      const backup = await loadBackupConfig(store, volumeName, backupName);
      if (backup) summaries.push(summarizeBackup(p.destUrl, stored.volume, backup));
    });
  });
  return summaries.sort((a, b) => a.volumeName.localeCompare(b.volumeName) || a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

export async function inspectBackup(p: ListBackupsParams & { backupName: string; volumeName: string }): Promise<BackupSummary> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  const backup = await requireBackupConfig(p.store, p.volumeName, p.backupName);
  const stored = await loadVolumeConfig(p.store, p.volumeName);
  return summarizeBackup(p.destUrl, stored?.volume, backup);
}
