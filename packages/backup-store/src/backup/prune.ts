import type { ObjectStore } from '@convoy/core';
import { ConvoyError, isConvoyError, validateName } from '@convoy/core';
import { archiveKeyOf } from './archive-key.js';
import { type EngineContext, withStoreLock } from './context.js';
import { KeyBatch } from './key-batch.js';
import { backupFilesDir, blocksDir, checksumFromBlockKey, deletionJournalDir, indexDir, locksDir, packsDir, volumeConfigKey, volumeDir } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { DEFAULT_MAX_UNUSED, prunePacks, validateMaxUnused } from './pack-prune.js';
import { backupMode } from './records.js';
import { listBackupNames, listVolumeNames, requireBackupConfig } from './store-records.js';
import type { PruneReport } from './types.js';

export interface PruneParams {
  store: ObjectStore;
  owner: string;
  graceMs?: number;
  volumeName?: string;
  /** Pack layout: rewrite a pack once more than this share of it is unused (default 0.1). */
  maxUnused?: number;
  /** The store as one volume's code sees it (sealed when the volume is encrypted), and how its packs are sealed. */
  openVolume?: (volumeName: string) => Promise<{ store: ObjectStore; cipher?: BlobCipher | undefined }>;
}

/**
 * Sweeps what no backup references: blocks and archives left by crashed backups, journals of
 * crashed deletes, and volumes left with no backups; in the pack layout, packs wholly unused
 * go and packs mostly unused are rewritten (pack-prune.ts). It is the one operation that walks the
 * block trees. Each volume is pruned under an exclusive lock; objects younger than the grace
 * period (measured against the server's clock) are kept, so a backup whose lock lapsed while it
 * was still uploading never loses a block. A whole-store prune skips volumes that are busy and
 * names them in the report; pruning one named volume that is busy fails with LOCKED.
 */
export async function pruneStore(ctx: EngineContext, p: PruneParams): Promise<PruneReport> {
  const graceMs = p.graceMs ?? ctx.pruneGraceMs;
  if (!Number.isSafeInteger(graceMs) || graceMs < 0)
    throw new ConvoyError('INVALID_ARGUMENT', `prune grace period must be a whole number of ms ≥ 0, got ${p.graceMs}`);
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a prune needs an owner (host and process) for the store lock');
  const maxUnused = validateMaxUnused(p.maxUnused ?? DEFAULT_MAX_UNUSED);
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  const report: PruneReport = {
    volumes: 0,
    blocksScanned: 0,
    blocksRemoved: 0,
    bytesRemoved: 0,
    blocksKeptForGrace: 0,
    packsScanned: 0,
    packsRemoved: 0,
    packsRewritten: 0,
    packsKeptForGrace: 0,
    skippedVolumes: [],
    staleWritesRemoved: [],
  };
  // A whole-store prune also clears what killed writers left (temp files are no objects: the
  // store's listing never shows them, so only the store itself can find them).
  if (!p.volumeName && p.store.removeStaleWrites) report.staleWritesRemoved = await p.store.removeStaleWrites(new Date(Date.now() - graceMs));
  for (const volumeName of volumes) {
    try {
      const { store, cipher } = p.openVolume ? await p.openVolume(volumeName) : { store: p.store, cipher: undefined };
      const packs = { maxUnused, cipher, size: ctx.packs.size, uploads: ctx.packs.uploads };
      await withStoreLock(ctx, p.store, volumeName, 'prune', p.owner, (lock) =>
        pruneVolume(store, volumeName, lock.serverTime.getTime() - graceMs, report, packs),
      );
      report.volumes += 1;
    } catch (err) {
      // An encrypted volume cannot be pruned without its key; a whole-store prune names it.
      if (p.volumeName || !(isConvoyError(err, 'LOCKED') || isConvoyError(err, 'KEY_REQUIRED'))) throw err;
      report.skippedVolumes!.push(volumeName);
    }
  }
  return report;
}

interface PackSettings {
  maxUnused: number;
  cipher: BlobCipher | undefined;
  size: number;
  uploads: number;
}

async function pruneVolume(store: ObjectStore, volumeName: string, cutoffMs: number, report: PruneReport, packs: PackSettings): Promise<void> {
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
  const packArea = [packsDir(volumeName), indexDir(volumeName)];
  const batch = new KeyBatch(store);
  let kept = 0;
  let configTime: number | undefined;
  let hasPacks = false;
  for await (const info of store.list(volumeDir(volumeName))) {
    const old = info.mtime.getTime() <= cutoffMs;
    const checksum = info.key.startsWith(blocks) ? checksumFromBlockKey(info.key) : undefined;
    if (packArea.some((dir) => info.key.startsWith(dir))) {
      // The pack layout's objects: pruned below, by what the index and the records say.
      hasPacks = true;
    } else if (info.key === config) {
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
  if (hasPacks) {
    const pruned = await prunePacks({
      store,
      volumeName,
      referenced,
      cutoffMs,
      maxUnused: packs.maxUnused,
      cipher: packs.cipher,
      packSize: packs.size,
      packUploads: packs.uploads,
    });
    report.packsScanned! += pruned.packsScanned;
    report.packsRemoved! += pruned.packsRemoved;
    report.packsRewritten! += pruned.packsRewritten;
    report.packsKeptForGrace! += pruned.packsKeptForGrace;
    report.bytesRemoved += pruned.bytesRemoved;
    kept += pruned.kept;
  }
  // A volume whose backups are all gone (a delete died before removing it) goes too.
  if (backups.length === 0 && kept === 0 && configTime !== undefined && configTime <= cutoffMs) await store.delete([config]);
}
