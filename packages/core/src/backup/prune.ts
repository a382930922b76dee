import { ConvoyError, isConvoyError } from '../errors.js';
import type { ObjectStore } from '../objectstore.js';
import { validateName } from '../names.js';
import { withStoreLock, type EngineContext } from './context.js';
import { KeyBatch } from './key-batch.js';
import { backupFilesDir, blocksDir, checksumFromBlockKey, deletionJournalDir, locksDir, volumeConfigKey, volumeDir } from './layout.js';
import { backupMode } from './records.js';
import { archiveKeyOf } from './archive-key.js';
import { listBackupNames, listVolumeNames, requireBackupConfig, type StoredVolume } from './store-records.js';
import type { PruneReport } from './types.js';

export interface PruneParams {
  store: ObjectStore;
  owner: string;
  graceMs?: number;
  volumeName?: string;
  /** The store as one volume's code sees it (sealed when the volume is encrypted). */
  /** `stored` is the volume's record when the caller has read it already (no second read). */
  openVolume?: (volumeName: string, stored?: StoredVolume) => Promise<ObjectStore>;
}

/**
 * Sweeps what no backup references: blocks and archives left by crashed backups, journals of
 * crashed deletes, and volumes left with no backups. It is the one operation that walks the
 * block trees. Each volume is pruned under an exclusive lock; objects younger than the grace
 * period (measured against the server's clock) are kept, so a backup whose lock lapsed while it
 * was still uploading never loses a block. A whole-store prune skips volumes that are busy and
 * names them in the report; pruning one named volume that is busy fails with LOCKED.
 */
export async function pruneStore(ctx: EngineContext, p: PruneParams): Promise<PruneReport> {
  const graceMs = p.graceMs ?? ctx.pruneGraceMs;
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new ConvoyError('INVALID_ARGUMENT', `prune grace period must be a whole number of ms ≥ 0, got ${p.graceMs}`);
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a prune needs an owner (host and process) for the store lock');
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  const report: PruneReport = { volumes: 0, blocksScanned: 0, blocksRemoved: 0, bytesRemoved: 0, blocksKeptForGrace: 0, skippedVolumes: [], staleWritesRemoved: [] };
  // A whole-store prune also clears what killed writers left (temp files are no objects: the
  // store's listing never shows them, so only the store itself can find them).
  if (!p.volumeName && p.store.removeStaleWrites) report.staleWritesRemoved = await p.store.removeStaleWrites(new Date(Date.now() - graceMs));
  for (const volumeName of volumes) {
    try {
      const store = p.openVolume ? await p.openVolume(volumeName) : p.store;
      await withStoreLock(ctx, p.store, volumeName, 'prune', p.owner, (lock) => pruneVolume(store, volumeName, lock.serverTime.getTime() - graceMs, report));
      report.volumes += 1;
    } catch (err) {
      // An encrypted volume cannot be pruned without its key; a whole-store prune names it.
      if (p.volumeName || !(isConvoyError(err, 'LOCKED') || isConvoyError(err, 'KEY_REQUIRED'))) throw err;
      report.skippedVolumes!.push(volumeName);
    }
  }
  return report;
}

async function pruneVolume(store: ObjectStore, volumeName: string, cutoffMs: number, report: PruneReport): Promise<void> {
  const referenced = new Set<string>();
  const archives = new Set<string>();
  const backups = await listBackupNames(store, volumeName);
  for (const name of backups) {
    const backup = await requireBackupConfig(store, volumeName, name);
    if (backupMode(backup) === 'single-file') archives.add(archiveKeyOf(backup));
    for (const m of backup.Blocks) referenced.add(m.BlockChecksum);
  }

  const blocks = blocksDir(volumeName);
  const archiveDir = backupFilesDir(volumeName);
  const journals = deletionJournalDir(volumeName);
  const config = volumeConfigKey(volumeName);
  const locks = locksDir(volumeName);
  const batch = new KeyBatch(store);
  let kept = 0;
  let configTime: number | undefined;
  for await (const info of store.list(volumeDir(volumeName))) {
    const old = info.mtime.getTime() <= cutoffMs;
    const checksum = info.key.startsWith(blocks) ? checksumFromBlockKey(info.key) : undefined;
    if (info.key === config) {
      configTime = info.mtime.getTime();
    } else if (info.key.startsWith(journals)) {
      // A journal of a delete that died: the sweep here covers what it had left to do.
      await batch.add(info.key);
    } else if (checksum) {
      report.blocksScanned += 1;
      if (referenced.has(checksum)) {
        kept += 1;
      } else if (old) {
        report.blocksRemoved += 1;
        report.bytesRemoved += info.size;
        await batch.add(info.key);
      } else {
        report.blocksKeptForGrace += 1;
        kept += 1;
      }
    } else if (info.key.startsWith(archiveDir) && !archives.has(info.key) && old) {
      report.bytesRemoved += info.size;
      await batch.add(info.key);
    } else if (!info.key.startsWith(locks)) {
      // Records, referenced or young archives, and anything we do not know stay.
      kept += 1;
    }
  }
  await batch.flush();
  // A volume whose backups are all gone (a delete died before removing it) goes too.
  if (backups.length === 0 && kept === 0 && configTime !== undefined && configTime <= cutoffMs) await store.delete([config]);
}
