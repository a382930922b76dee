import { ConvoyError } from '../errors.js';
import type { BackupSummary } from '../model.js';
import type { ObjectStore } from '../objectstore.js';
import type { BackupConfig } from './records.js';
import { validateName } from '../names.js';
import { summarizeBackup } from './summary.js';
import type { EngineContext } from './context.js';
import { backupNotFound, listBackupNames, listVolumeNames, loadVolumeConfig } from './store-records.js';
import { runWorkers } from './workers.js';

export interface ListBackupsParams {
  store: ObjectStore;
  destUrl: string;
  volumeName?: string;
}

/**
 * Lists complete backups (those with a record), by volume then creation time. Volumes are found
 * by walking the three directory levels and backups by listing `backups/`: the cost grows with
 * volumes and backups, never with blocks. A named volume that is not in the store is NOT_FOUND.
 */
export async function listBackups(ctx: Pick<EngineContext, 'records'>, p: ListBackupsParams): Promise<BackupSummary[]> {
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  const summaries: BackupSummary[] = [];
  await runWorkers(volumes, 4, async (volumeName) => {
    const stored = await loadVolumeConfig(p.store, volumeName);
    if (!stored) {
      if (p.volumeName) throw new ConvoyError('NOT_FOUND', `volume ${volumeName} has no backups in ${p.store.url}`, { details: { volume: volumeName } });
      return;
    }
    await runWorkers(await listBackupNames(p.store, volumeName), 8, async (backupName) => {
      // A record deleted between the listing and the read is simply gone. Listed just now, a
      // record this daemon parsed before is served from the cache (records are write-once).
      const backup = await ctx.records.load(p.store, volumeName, backupName, 'listed');
      if (backup) summaries.push(summarizeBackup(p.destUrl, stored.volume, backup));
    });
  });
  return summaries.sort((a, b) => a.volumeName.localeCompare(b.volumeName) || a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

export async function inspectBackup(ctx: Pick<EngineContext, 'records'>, p: ListBackupsParams & { backupName: string; volumeName: string }): Promise<BackupSummary> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  const backup = await requireRecord(ctx, p.store, p.volumeName, p.backupName);
  const stored = await loadVolumeConfig(p.store, p.volumeName);
  return summarizeBackup(p.destUrl, stored?.volume, backup);
}

/** A backup record that must exist: cached ones only after a HEAD shows another host has not deleted it. */
export async function requireRecord(ctx: Pick<EngineContext, 'records'>, store: ObjectStore, volumeName: string, backupName: string): Promise<BackupConfig> {
  const backup = await ctx.records.load(store, volumeName, backupName, 'unknown');
  if (!backup) throw backupNotFound(store, volumeName, backupName);
  return backup;
}
