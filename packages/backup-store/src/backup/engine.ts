import type { BackupSummary, ObjectStore, VolumeRecord } from '@convoy/core';
import { ConvoyError, validateName } from '@convoy/core';
import { type BlockWorkerOptions, BlockWorkers } from './block-workers.js';
import { BufferPool } from './buffer-pool.js';
import { type EngineContext, withStoreLock } from './context.js';
import { copyBackups } from './copy.js';
import { EncryptionMemory } from './crypto/downgrade-guard.js';
import { addKey, initEncryptedStore, Keyring, listKeys, removeKey } from './crypto/keyring.js';
import type { UserKey } from './crypto/user-key.js';
import { accessVolume, accessVolumeForBackup } from './crypto/volume-access.js';
import { deleteBackup } from './delete.js';
import { createDeltaBlockBackup } from './delta-backup.js';
import { restoreDeltaBlock } from './delta-restore.js';
import { forgetBackups } from './forget.js';
import { BLOCK_SIZE, DEFAULT_PACK_SIZE, validatePackSize } from './layout.js';
import { inspectBackup, listBackups, requireRecord } from './listing.js';
import { DEFAULT_PACK_UPLOADS } from './pack-writer.js';
import { pruneStore } from './prune.js';
import { BackupRecordCache } from './record-cache.js';
import { type BackupConfig, backupMode, type VolumeConfig } from './records.js';
import { createSingleFileBackup, restoreSingleFile } from './single-file.js';
import { syncStandby } from './standby-sync.js';
import { DEFAULT_LOCK_OPTIONS, type LockOptions } from './store-lock.js';
import { loadVolumeConfig, type StoredVolume } from './store-records.js';
import type { BackupEngine, KeyedParams, RestoreParams, VolumeSealing } from './types.js';
import { verifyStore } from './verify.js';
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
  /** Block-map entries of parsed backup records kept between operations (see record-cache.ts). */
  recordCacheBlocks?: number;
  /** The user key that opens encrypted stores (from a key file, the environment or a prompt). */
  encryptionKey?: UserKey;
  /** Where the engine remembers the stores and volumes it saw encrypted (downgrade-guard.ts); in memory only without it. */
  encryptionMemoryFile?: string;
  /** Pack layout: the pack size a new volume records (default 16 MiB), and packs uploading at once (default 1). */
  packs?: { size?: number; uploads?: number };
}

const DEFAULT_CONCURRENCY = 4;
const HOUR_MS = 3_600_000;

/**
 * The backup engine: Convoy v0.5's store format, incremental delta-block and single-file
 * backups, verified parallel restores, reference-checked deletes, prune, and store locks.
 */
export function createBackupEngine(opts: BackupEngineOptions = {}): BackupEngine {
  const ctx = createEngineContext(opts);
  const engineKeyring = new Keyring(opts.encryptionKey);
  // What this engine has seen encrypted, whichever key opened it: a witness the bucket cannot delete.
  const encrypted = new EncryptionMemory(opts.encryptionMemoryFile);
  // A key given with the call (the CLI's) wins over the engine's own (the daemon's). One keyring per
  // key object, so the calls of one request (inspect, then restore) stretch a passphrase once.
  const callKeyrings = new WeakMap<UserKey, Keyring>();
  const ring = (p: KeyedParams): Keyring => {
    if (!p.encryptionKey) return engineKeyring;
    let keyring = callKeyrings.get(p.encryptionKey);
    if (!keyring) callKeyrings.set(p.encryptionKey, (keyring = new Keyring(p.encryptionKey)));
    return keyring;
  };
  const sealed = async <P extends KeyedParams & { store: ObjectStore }>(
    p: P,
    volumeName: string,
    stored?: StoredVolume,
  ): Promise<P & { sealing: VolumeSealing }> => {
    const { store, ...sealing } = await accessVolume(p.store, volumeName, ring(p), stored);
    return { ...p, store, sealing };
  };
  const opener = (p: KeyedParams & { store: ObjectStore }) => async (volumeName: string, stored?: StoredVolume) =>
    (await accessVolume(p.store, volumeName, ring(p), stored)).store;
  return {
    createBackup: async (p) => {
      const { store, ...sealing } = await accessVolumeForBackup(p.store, p.volume.name, ring(p), p.encrypt === true, encrypted);
      const q = { ...p, store, sealing };
      return withKeyId(sealing, await (q.ops.mode === 'delta-block' ? createDeltaBlockBackup(ctx, q, q.ops) : createSingleFileBackup(ctx, q, q.ops)));
    },
    restoreBackup: async (p) => restoreBackup(ctx, await sealed(p, p.volumeName)),
    syncStandby: async (p) => syncStandby(ctx, await sealed(p, p.volumeName)),
    deleteBackup: async (p) => deleteBackup(ctx, await sealed(p, p.volumeName)),
    listBackups: (p) => listBackups(ctx, { ...p, openVolume: opener(p) }),
    inspectBackup: async (p) => {
      // volume.cfg is read once: it says whether the volume is encrypted, and what the summary shows.
      const stored = await loadVolumeConfig(p.store, p.volumeName);
      const q = await sealed(p, p.volumeName, stored);
      return withKeyId(q.sealing, await inspectBackup(ctx, q, stored));
    },
    prune: (p) => pruneStore(ctx, { ...p, openVolume: (name) => accessVolume(p.store, name, ring(p)) }),
    forgetBackups: async (p) => forgetBackups(ctx, await sealed(p, p.volumeName)),
    verify: (p) => verifyStore(ctx, p, (name) => accessVolume(p.store, name, ring(p))),
    initStore: async (p) => {
      const initialised = await initEncryptedStore(p.store, ring(p));
      await encrypted.sawStoreEncryptNewVolumes(p.store.url);
      return initialised;
    },
    listKeys: (p) => listKeys(p.store),
    addKey: (p) => addKey(p.store, ring(p), p.newKey, p.label),
    removeKey: (p) => removeKey(p.store, ring(p), p.keyId),
    copyBackups: (p) =>
      copyBackups(ctx, { source: ring(p), target: ring(p.targetEncryptionKey ? { encryptionKey: p.targetEncryptionKey } : p), memory: encrypted }, p),
  };
}

function withKeyId(sealing: VolumeSealing, summary: BackupSummary): BackupSummary {
  return sealing.encryptionKeyId ? { ...summary, encryptionKeyId: sealing.encryptionKeyId } : summary;
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
    return p.ops.mode === 'delta-block' ? restoreDeltaBlock(p, p.ops, backup, volume, concurrency, ctx.workers, ctx.pool) : restoreSingleFile(p, p.ops, backup);
  });
}

/**
 * The backup's records, refused when another driver made it (Convoy refused cross-driver
 * restores too) or when it is in a mode the driver cannot restore.
 */
async function readRestorable(ctx: EngineContext, p: RestoreParams): Promise<{ backup: BackupConfig; volume: VolumeConfig | undefined }> {
  const backup = await requireRecord(ctx, p.store, p.volumeName, p.backupName, p.signal);
  const volume = (await loadVolumeConfig(p.store, p.volumeName, p.signal))?.volume;
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

/** What one engine's operations share (context.ts), from its options. */
export function createEngineContext(opts: BackupEngineOptions = {}): EngineContext {
  const concurrency = validateConcurrency(opts.concurrency, DEFAULT_CONCURRENCY);
  return {
    // Idle buffers kept between operations: enough for a backup and a restore at full speed.
    pool: new BufferPool(2 * concurrency * BLOCK_SIZE),
    workers: new BlockWorkers(opts.blockWorkers),
    lock: { ...DEFAULT_LOCK_OPTIONS, ...opts.lock },
    concurrency,
    pruneGraceMs: opts.pruneGraceMs ?? HOUR_MS,
    records: new BackupRecordCache(opts.recordCacheBlocks),
    packs: { size: validatePackSize(opts.packs?.size ?? DEFAULT_PACK_SIZE), uploads: validateConcurrency(opts.packs?.uploads, DEFAULT_PACK_UPLOADS) },
  };
}
