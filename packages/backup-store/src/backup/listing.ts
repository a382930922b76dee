import type { BackupSummary, ObjectStore } from '@convoy/core';
import { ConvoyError, isConvoyError, validateName } from '@convoy/core';
import type { EngineContext } from './context.js';
import { backupConfigKey, volumeConfigKey } from './layout.js';
import type { BackupConfig } from './records.js';
import { backupNotFound, listBackupNames, listVolumeNames, loadVolumeConfig, type StoredVolume } from './store-records.js';
import { summarizeBackup } from './summary.js';
import { runWorkers } from './workers.js';

export interface ListBackupsParams {
  store: ObjectStore;
  destUrl: string;
  volumeName?: string;
  /** Told of each record a listing skipped because it is corrupt (the rest is still listed). */
  onSkipped?: (key: string, err: ConvoyError) => void;
  /** The store as one volume's code sees it (sealed when the volume is encrypted). */
  /** `stored` is the volume's record when the caller has read it already (no second read). */
  openVolume?: (volumeName: string, stored?: StoredVolume) => Promise<ObjectStore>;
}

/**
 * Lists complete backups (those with a record), by volume then creation time. Volumes are found
 * by walking the three directory levels and backups by listing `backups/`: the cost grows with
 * volumes and backups, never with blocks. A named volume that is not in the store is NOT_FOUND.
 */
export async function listBackups(ctx: Pick<EngineContext, 'records'>, p: ListBackupsParams): Promise<BackupSummary[]> {
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  const summaries: BackupSummary[] = [];
  const skip = skipCorrupt(p.onSkipped);
  await runWorkers(volumes, 4, async (volumeName) => {
    // A corrupt volume.cfg loses what it said (size, creation time), not the volume's backups.
    const stored = await skip(volumeConfigKey(volumeName), () => loadVolumeConfig(p.store, volumeName));
    if (stored === undefined) {
      if (p.volumeName) throw new ConvoyError('NOT_FOUND', `volume ${volumeName} has no backups in ${p.store.url}`, { details: { volume: volumeName } });
      return;
    }
    // Whether a volume is encrypted is in its record: a corrupt one leaves the store as it is.
    const store = p.openVolume && stored !== CORRUPT_RECORD ? await p.openVolume(volumeName, stored) : p.store;
    await runWorkers(await listBackupNames(store, volumeName), 8, async (backupName) => {
      // A record deleted between the listing and the read is simply gone; a corrupt one is skipped.
      // Listed just now, a record this daemon parsed before is served from the cache (records are write-once).
      const backup = await skip(backupConfigKey(volumeName, backupName), () => ctx.records.load(store, volumeName, backupName, 'listed'));
      if (backup && backup !== CORRUPT_RECORD) summaries.push(summarizeBackup(p.destUrl, stored === CORRUPT_RECORD ? undefined : stored.volume, backup));
    });
  });
  return summaries.sort((a, b) => a.volumeName.localeCompare(b.volumeName) || a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

const CORRUPT_RECORD = Symbol('corrupt record');

/** Runs a record read; a CORRUPT one is reported and stands in as CORRUPT_RECORD (or undefined for optional reads). */
function skipCorrupt(onSkipped: ListBackupsParams['onSkipped']) {
  return async <T>(key: string, read: () => Promise<T | undefined>): Promise<T | typeof CORRUPT_RECORD | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (!isConvoyError(err, 'CORRUPT')) throw err;
      onSkipped?.(key, err);
      return CORRUPT_RECORD;
    }
  };
}

export async function inspectBackup(
  ctx: Pick<EngineContext, 'records'>,
  p: ListBackupsParams & { backupName: string; volumeName: string },
  known?: StoredVolume,
): Promise<BackupSummary> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  const backup = await requireRecord(ctx, p.store, p.volumeName, p.backupName);
  const stored = known ?? (await loadVolumeConfig(p.store, p.volumeName));
  return summarizeBackup(p.destUrl, stored?.volume, backup);
}

/** A backup record that must exist: cached ones only after a HEAD shows another host has not deleted it. `signal` cancels the reads. */
export async function requireRecord(
  ctx: Pick<EngineContext, 'records'>,
  store: ObjectStore,
  volumeName: string,
  backupName: string,
  signal?: AbortSignal,
): Promise<BackupConfig> {
  const backup = await ctx.records.load(store, volumeName, backupName, 'unknown', signal);
  if (!backup) throw backupNotFound(store, volumeName, backupName);
  return backup;
}
