import { ConvoyError } from '../errors.js';
import type { VolumeRecord } from '../model.js';
import { validateName } from '../names.js';
import { BufferPool } from './buffer-pool.js';
import { withStoreLock, type EngineContext } from './context.js';
import { deleteBackup } from './delete.js';
import { forgetBackups } from './forget.js';
import { createDeltaBlockBackup } from './delta-backup.js';
import { restoreDeltaBlock } from './delta-restore.js';
import { BLOCK_SIZE } from './layout.js';
import { inspectBackup, listBackups, requireRecord } from './listing.js';
import { pruneStore } from './prune.js';
import { BackupRecordCache } from './record-cache.js';
import { backupMode, type BackupConfig, type VolumeConfig } from './records.js';
import { restoreSingleFile, createSingleFileBackup } from './single-file.js';
import { DEFAULT_LOCK_OPTIONS, type LockOptions } from './store-lock.js';
import { loadVolumeConfig } from './store-records.js';
import type { BackupEngine, RestoreParams } from './types.js';
import { validateConcurrency } from './workers.js';

export interface BackupEngineOptions {
  /** Blocks in flight per backup or restore when the call does not say (default 4). */
  concurrency?: number;
  /** Store-lock timing; see store-lock.ts. Tests shorten these; production keeps the defaults. */
  lock?: Partial<LockOptions>;
  /** Default grace period of `prune` (default 1 hour). */
  pruneGraceMs?: number;
  /** Block-map entries of parsed backup records kept between operations (see record-cache.ts). */
  recordCacheBlocks?: number;
}

const DEFAULT_CONCURRENCY = 4;
const HOUR_MS = 3_600_000;

/**
 * The backup engine: Convoy v0.5's store format, incremental delta-block and single-file
 * backups, verified parallel restores, reference-checked deletes, prune, and store locks.
 */
export function createBackupEngine(opts: BackupEngineOptions = {}): BackupEngine {
  const concurrency = validateConcurrency(opts.concurrency, DEFAULT_CONCURRENCY);
  const ctx: EngineContext = {
    // Idle buffers kept between operations: enough for a backup and a restore at full speed.
    pool: new BufferPool(BLOCK_SIZE, 2 * concurrency),
    lock: { ...DEFAULT_LOCK_OPTIONS, ...opts.lock },
    concurrency,
    pruneGraceMs: opts.pruneGraceMs ?? HOUR_MS,
    records: new BackupRecordCache(opts.recordCacheBlocks),
  };
  return {
    createBackup: (p) => (p.ops.mode === 'delta-block' ? createDeltaBlockBackup(ctx, p, p.ops) : createSingleFileBackup(ctx, p, p.ops)),
    restoreBackup: (p) => restoreBackup(ctx, p),
    deleteBackup: (p) => deleteBackup(ctx, p),
    listBackups: (p) => listBackups(ctx, p),
    inspectBackup: (p) => inspectBackup(ctx, p),
    prune: (p) => pruneStore(ctx, p),
    forgetBackups: (p) => forgetBackups(ctx, p),
  };
}

async function restoreBackup(ctx: EngineContext, p: RestoreParams): Promise<VolumeRecord> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  validateName(p.request.name, 'volume');
  const concurrency = validateConcurrency(p.concurrency, ctx.concurrency);
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a restore needs an owner (host and process) for the store lock');
  // Checked before the lock is taken, so a restore into the wrong driver leaves the store
  // untouched; read again under the lock, where a delete that ran in between is NOT_FOUND.
  await readRestorable(ctx, p);
  return withStoreLock(ctx, p.store, p.volumeName, 'restore', p.owner, async () => {
    const { backup, volume } = await readRestorable(ctx, p);
    return p.ops.mode === 'delta-block' ? restoreDeltaBlock(p, p.ops, backup, volume, concurrency) : restoreSingleFile(p, p.ops, backup);
  });
}

/**
 * The backup's records, refused when another driver made it (Convoy refused cross-driver
 * restores too) or when it is in a mode the driver cannot restore.
 */
async function readRestorable(ctx: EngineContext, p: RestoreParams): Promise<{ backup: BackupConfig; volume: VolumeConfig | undefined }> {
  const backup = await requireRecord(ctx, p.store, p.volumeName, p.backupName);
  const volume = (await loadVolumeConfig(p.store, p.volumeName))?.volume;
  const madeBy = backup.Driver || volume?.Driver;
  if (madeBy && madeBy !== p.driverName) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `backup ${p.backupName} of volume ${p.volumeName} was made by driver ${madeBy}; restore it with --driver ${madeBy}, not ${p.driverName}`,
    );
  }
  const mode = backupMode(backup);
  if (mode !== p.ops.mode) {
    throw new ConvoyError('INVALID_ARGUMENT', `backup ${p.backupName} is a ${mode} backup; driver ${p.driverName} restores ${p.ops.mode} backups`);
  }
  return { backup, volume };
}
