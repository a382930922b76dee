import { ConvoyError } from '../errors.js';
import type { VolumeRecord } from '../model.js';
import { validateName } from '../names.js';
import { BlockWorkers, type BlockWorkerOptions } from './block-workers.js';
import { BufferPool } from './buffer-pool.js';
import { withStoreLock, type EngineContext } from './context.js';
import { deleteBackup } from './delete.js';
import { createDeltaBlockBackup } from './delta-backup.js';
import { restoreDeltaBlock } from './delta-restore.js';
import { BLOCK_SIZE } from './layout.js';
import { inspectBackup, listBackups } from './listing.js';
import { pruneStore } from './prune.js';
import { backupMode } from './records.js';
import { restoreSingleFile, createSingleFileBackup } from './single-file.js';
import { DEFAULT_LOCK_OPTIONS, type LockOptions } from './store-lock.js';
import { loadVolumeConfig, requireBackupConfig } from './store-records.js';
import type { BackupEngine, RestoreParams } from './types.js';
import { validateConcurrency } from './workers.js';

export interface BackupEngineOptions {
  /** Blocks in flight per backup or restore when the call does not say (default 4). */
  concurrency?: number;
  /** Store-lock timing; see store-lock.ts. Tests shorten these; production keeps the defaults. */
  lock?: Partial<LockOptions>;
  /** Default grace period of `prune` (default 1 hour). */
  pruneGraceMs?: number;
  /** The block workers' threads and script; see block-workers.ts. */
  blockWorkers?: BlockWorkerOptions;
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
    pool: new BufferPool(2 * concurrency * BLOCK_SIZE),
    workers: new BlockWorkers(opts.blockWorkers),
    lock: { ...DEFAULT_LOCK_OPTIONS, ...opts.lock },
    concurrency,
    pruneGraceMs: opts.pruneGraceMs ?? HOUR_MS,
  };
  return {
    createBackup: (p) => (p.ops.mode === 'delta-block' ? createDeltaBlockBackup(ctx, p, p.ops) : createSingleFileBackup(ctx, p, p.ops)),
    restoreBackup: (p) => restoreBackup(ctx, p),
    deleteBackup: (p) => deleteBackup(ctx, p),
    listBackups: (p) => listBackups(p),
    inspectBackup: (p) => inspectBackup(p),
    prune: (p) => pruneStore(ctx, p),
  };
}

async function restoreBackup(ctx: EngineContext, p: RestoreParams): Promise<VolumeRecord> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  validateName(p.request.name, 'volume');
  const concurrency = validateConcurrency(p.concurrency, ctx.concurrency);
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a restore needs an owner (host and process) for the store lock');
  return withStoreLock(ctx, p.store, p.volumeName, 'restore', p.owner, async () => {
    const backup = await requireBackupConfig(p.store, p.volumeName, p.backupName);
    const volume = (await loadVolumeConfig(p.store, p.volumeName))?.volume;
    const madeBy = backup.Driver || volume?.Driver;
    if (madeBy && madeBy !== p.driverName) {
      throw new ConvoyError('INVALID_ARGUMENT', `backup ${p.backupName} was made by driver ${madeBy}; restore it with ${madeBy}, not ${p.driverName}`);
    }
    const mode = backupMode(backup);
    if (mode !== p.ops.mode) {
      throw new ConvoyError('INVALID_ARGUMENT', `backup ${p.backupName} is a ${mode} backup; driver ${p.driverName} restores ${p.ops.mode} backups`);
    }
    return p.ops.mode === 'delta-block' ? restoreDeltaBlock(p, p.ops, backup, volume, concurrency, ctx.workers) : restoreSingleFile(p, p.ops, backup);
  });
}
