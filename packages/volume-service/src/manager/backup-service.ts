import type { BackupEngine, CopyReport, ForgetReport, KeyInfo, PruneReport, UserKey, VerifyReport } from '@convoy/backup-store';
import { parseBackupUrl, validateCompression, validateLayout, validateRetentionPolicy } from '@convoy/backup-store';
import type {
  BackupSummary,
  CompressionMethod,
  CreateVolumeRequest,
  DeltaBlockBackupOps,
  Logger,
  ObjectStore,
  ObjectStoreRegistry,
  Options,
  ProgressListener,
  SingleFileBackupOps,
  SnapshotRecord,
  StandbySyncReport,
  StoreLayout,
  VolumeRecord,
} from '@convoy/core';
import { ConvoyError, checkPercent, validateName } from '@convoy/core';
import { resolveStoreTarget, type StoreTarget, withOpenStore } from './open-store.js';
import { operationSignal } from './operation-signal.js';
import { type CopyBackupsRequest, copyBackups } from './store-copy.js';
import { addBackupKey, initBackupStore, keyParams, listBackupKeys, removeBackupKey, type StoreMaintenanceContext, verifyBackups } from './store-maintenance.js';
import type { AddBackupKeyParams, BackupStoreParams, CreateBackupRequest, ForgetParams, PruneOptions, StoreOperations, VerifyBackupsParams } from './types.js';

export interface BackupServiceOptions {
  stores: ObjectStoreRegistry;
  /** Every `--store-opts` pair (`s3.pageSize=500`); each store is opened with its scheme's keys. */
  storeOptions?: Options;
  engine: BackupEngine;
  /** Who this daemon is in backup-store locks: hostname and pid. */
  owner: string;
  log: Logger;
}

/** A backup request whose store and settings are checked, before any volume is looked up or locked. */
export interface BackupPlan {
  target: StoreTarget;
  compression: CompressionMethod | undefined;
  /** Bytes; only a volume's first backup to a store sets it (delta-block drivers). */
  blockSize: number | undefined;
  /** Where the blocks go; only a volume's first backup to a store sets it. */
  layout: StoreLayout | undefined;
  /** Encrypt the volume's backups in this store (only at its first backup there). */
  encrypt: boolean;
  /** The caller's key; the engine's own (the daemon's) when absent. */
  key: { encryptionKey?: UserKey };
  /** Aborted when the caller gives up. */
  signal: AbortSignal | undefined;
}

/** A backup to restore, found from its URL and checked before the new volume's name is reserved. */
export interface RestorePlan {
  target: StoreTarget;
  backupName: string;
  volumeName: string;
  key: { encryptionKey?: UserKey };
  /** Aborted when the caller gives up. */
  signal: AbortSignal | undefined;
}

/** What the manager hands over once it holds the volume's backup lock. */
export interface BackupSource {
  driverName: string;
  ops: DeltaBlockBackupOps | SingleFileBackupOps;
  volume: VolumeRecord;
  snapshot: SnapshotRecord;
}

/**
 * Everything between the volume manager and the backup engine: reads each request's store URL
 * once, opens the store one way (its package, the daemon's settings for its scheme, closed
 * whatever happens) and hands the engine an open store. The manager keeps what is about volumes:
 * names, routing and locks. The operations on a store alone (StoreOperations) are its own.
 */
export class BackupService implements StoreOperations {
  constructor(
    private readonly opts: BackupServiceOptions,
    /** Aborted when the daemon stops and its grace period is over: running backups and restores end. */
    private readonly cancel?: AbortSignal,
  ) {}

  async planBackup(req: CreateBackupRequest): Promise<BackupPlan> {
    if (typeof req.dest !== 'string' || req.dest === '') throw new ConvoyError('INVALID_ARGUMENT', 'a backup destination URL is required (--dest)');
    const key = keyParams(req.encryptionKey);
    const target = await this.target(req.dest, req.endpoint);
    return {
      target,
      compression: req.compression === undefined ? undefined : validateCompression(req.compression),
      blockSize: req.blockSize,
      layout: req.layout === undefined ? undefined : validateLayout(req.layout),
      encrypt: req.encrypt === true,
      key,
      signal: req.signal,
    };
  }

  async createBackup(plan: BackupPlan, source: BackupSource, onProgress?: ProgressListener): Promise<BackupSummary> {
    const summary = await this.withStore(plan.target, (store) =>
      this.opts.engine.createBackup({
        store,
        destUrl: plan.target.written,
        ...source,
        owner: this.opts.owner,
        ...operationSignal(this.cancel, plan.signal),
        ...(plan.compression ? { compression: plan.compression } : {}),
        ...(plan.blockSize !== undefined ? { blockSize: plan.blockSize } : {}),
        ...(plan.layout !== undefined ? { layout: plan.layout } : {}),
        ...(onProgress ? { onProgress } : {}),
        ...(plan.encrypt ? { encrypt: true } : {}),
        ...plan.key,
      }),
    );
    this.opts.log.info('backup created', { volume: source.volume.name, snapshot: source.snapshot.name, url: summary.url });
    return summary;
  }

  async planRestore(backupUrl: string, params: BackupStoreParams & { signal?: AbortSignal } = {}): Promise<RestorePlan> {
    const location = parseBackupUrl(requireString(backupUrl, 'backup URL'));
    const key = keyParams(params.encryptionKey);
    const target = await this.target(location.storeUrl, params.endpoint);
    return { target, backupName: location.backupName, volumeName: location.volumeName, key, signal: params.signal };
  }

  /** The engine refuses a backup of another driver before it locks the store, so bad input changes nothing. */
  restore(
    plan: RestorePlan,
    driverName: string,
    ops: DeltaBlockBackupOps | SingleFileBackupOps,
    request: CreateVolumeRequest,
    onProgress?: ProgressListener,
  ): Promise<VolumeRecord> {
    return this.withStore(plan.target, (store) =>
      this.opts.engine.restoreBackup({
        store,
        backupName: plan.backupName,
        volumeName: plan.volumeName,
        driverName,
        ops,
        request,
        owner: this.opts.owner,
        ...operationSignal(this.cancel, plan.signal),
        ...(onProgress ? { onProgress } : {}),
        ...plan.key,
      }),
    );
  }

  /** Moves standby `standbyVolume` to the plan's backup; `heldBackups` are those its blocks may come from now. */
  syncStandby(
    plan: RestorePlan,
    standby: { standbyVolume: string; heldBackups: string[]; driverName: string; ops: DeltaBlockBackupOps | SingleFileBackupOps },
    onProgress?: ProgressListener,
  ): Promise<StandbySyncReport> {
    return this.withStore(plan.target, (store) =>
      this.opts.engine.syncStandby({
        store,
        volumeName: plan.volumeName,
        targetBackup: plan.backupName,
        ...standby,
        owner: this.opts.owner,
        ...operationSignal(this.cancel, plan.signal),
        ...(onProgress ? { onProgress } : {}),
        ...plan.key,
      }),
    );
  }

  async deleteBackup(url: string, params: BackupStoreParams = {}): Promise<void> {
    const plan = await this.planRestore(url, params);
    await this.withStore(plan.target, (store) =>
      this.opts.engine.deleteBackup({
        store,
        destUrl: plan.target.written,
        backupName: plan.backupName,
        volumeName: plan.volumeName,
        owner: this.opts.owner,
        ...plan.key,
      }),
    );
    this.opts.log.info('backup deleted', { url });
  }

  async listBackups(dest: string, params: BackupStoreParams & { volumeName?: string } = {}): Promise<BackupSummary[]> {
    const target = await this.target(requireString(dest, 'backup destination URL'), params.endpoint);
    const volumeName = params.volumeName === undefined ? undefined : validateName(params.volumeName, 'volume');
    const key = keyParams(params.encryptionKey);
    return this.withStore(target, (store) =>
      this.opts.engine.listBackups({
        store,
        destUrl: target.written,
        ...(volumeName === undefined ? {} : { volumeName }),
        onSkipped: (key, err) =>
          this.opts.log.warn('a corrupt record in the backup store was left out of the listing', { store: target.written, key, err: err.message }),
        ...key,
      }),
    );
  }

  async inspectBackup(url: string, params: BackupStoreParams = {}): Promise<BackupSummary> {
    const plan = await this.planRestore(url, params);
    return this.withStore(plan.target, (store) =>
      this.opts.engine.inspectBackup({ store, destUrl: plan.target.written, backupName: plan.backupName, volumeName: plan.volumeName, ...plan.key }),
    );
  }

  async pruneBackups(dest: string, params: BackupStoreParams & PruneOptions = {}): Promise<PruneReport> {
    const target = await this.target(requireString(dest, 'backup destination URL'), params.endpoint);
    const grace = params.graceSeconds;
    if (grace !== undefined && !(Number.isFinite(grace) && grace >= 0)) {
      throw new ConvoyError('INVALID_ARGUMENT', `grace period must be a number of seconds ≥ 0, not ${JSON.stringify(grace)}`);
    }
    const key = keyParams(params.encryptionKey);
    const maxUnused = params.maxUnusedPercent === undefined ? {} : { maxUnused: checkPercent(params.maxUnusedPercent, 'MaxUnusedPercent', 'maxUnused') / 100 };
    return this.withStore(target, (store) =>
      this.opts.engine.prune({ store, owner: this.opts.owner, ...(grace === undefined ? {} : { graceMs: grace * 1000 }), ...maxUnused, ...key }),
    );
  }

  async forgetBackups(dest: string, params: ForgetParams & { volumeName: string }): Promise<ForgetReport> {
    const target = await this.target(requireString(dest, 'backup destination URL'), params.endpoint);
    const volumeName = validateName(params.volumeName, 'volume');
    const policy = validateRetentionPolicy(params.policy);
    const key = keyParams(params.encryptionKey);
    const report = await this.withStore(target, (store) =>
      this.opts.engine.forgetBackups({ store, destUrl: target.written, volumeName, policy, owner: this.opts.owner, dryRun: params.dryRun === true, ...key }),
    );
    if (!report.dryRun)
      this.opts.log.info('backups forgotten', {
        volume: volumeName,
        store: target.written,
        removed: report.removed.map((b) => b.name),
        kept: report.kept.length,
      });
    return report;
  }

  verifyBackups(target: string, params: VerifyBackupsParams = {}, onProgress?: ProgressListener): Promise<VerifyReport> {
    return verifyBackups(this.maintenance, target, params, onProgress);
  }

  initBackupStore(dest: string, params: BackupStoreParams = {}): Promise<{ masterKeyId: string }> {
    return initBackupStore(this.maintenance, dest, params);
  }

  listBackupKeys(dest: string, params: BackupStoreParams = {}): Promise<KeyInfo[]> {
    return listBackupKeys(this.maintenance, dest, params);
  }

  addBackupKey(dest: string, params: AddBackupKeyParams): Promise<KeyInfo> {
    return addBackupKey(this.maintenance, dest, params);
  }

  removeBackupKey(dest: string, keyId: string, params: BackupStoreParams = {}): Promise<void> {
    return removeBackupKey(this.maintenance, dest, keyId, params);
  }

  async copyBackups(req: CopyBackupsRequest, onProgress?: ProgressListener): Promise<CopyReport> {
    const report = await copyBackups(this.maintenance, req, onProgress);
    // Store URLs and counts only: the keys the request carried never reach a log.
    this.opts.log.info('backups copied', { from: req.from, to: req.to, copied: report.copied.length, skipped: report.skipped, bytes: report.bytesCopied });
    return report;
  }

  /** The store-wide operations (store-maintenance.ts) open their stores this service's one way. */
  private get maintenance(): StoreMaintenanceContext {
    return {
      engine: this.opts.engine,
      owner: this.opts.owner,
      signal: (caller) => operationSignal(this.cancel, caller),
      withStore: async (storeUrl, params, use) => this.withStore(await this.target(storeUrl, params.endpoint), use),
    };
  }

  private target(storeUrl: string, endpoint: unknown): Promise<StoreTarget> {
    return resolveStoreTarget(this.opts.stores, storeUrl, endpoint);
  }

  private withStore<T>(target: StoreTarget, use: (store: ObjectStore) => Promise<T>): Promise<T> {
    return withOpenStore(target, this.opts.storeOptions ?? {}, use, (err) => this.opts.log.warn('closing the backup store failed', { err }));
  }
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConvoyError('INVALID_ARGUMENT', `a ${what} is required`);
  return value;
}
