import type { DeltaBlockBackupOps, SingleFileBackupOps, CreateVolumeRequest } from '../driver.js';
import type { ConvoyError } from '../errors.js';
import type { ObjectStore } from '../objectstore.js';
import type { BackupSummary, CompressionMethod, ProgressListener, SnapshotRecord, VolumeRecord } from '../model.js';
import type { KeepReason, RetentionPolicy } from '../retention/policy.js';

/** Tuning for the backup and restore pipelines; defaults suit 2 cores. */
export interface PipelineOptions {
  /** Blocks hashed/compressed/uploaded at once (default 4). Memory is bounded by this × a few blocks. */
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface CreateBackupParams extends PipelineOptions {
  store: ObjectStore;
  /** The store URL exactly as the user wrote it; the returned backup URL starts with it. */
  destUrl: string;
  driverName: string;
  volume: VolumeRecord;
  snapshot: SnapshotRecord;
  ops: DeltaBlockBackupOps | SingleFileBackupOps;
  /** Default lz4. */
  compression?: CompressionMethod;
  /** Identifies this host in store locks ("who holds it"). */
  owner: string;
}

export interface RestoreParams extends PipelineOptions {
  store: ObjectStore;
  backupName: string;
  volumeName: string;
  driverName: string;
  ops: DeltaBlockBackupOps | SingleFileBackupOps;
  /** The new volume; `size` may be omitted and defaults to the backup's volume size. */
  request: CreateVolumeRequest;
  owner: string;
}

export interface PruneReport {
  volumes: number;
  blocksScanned: number;
  blocksRemoved: number;
  bytesRemoved: number;
  /** Unreferenced blocks younger than the grace period, kept because a backup may be writing them. */
  blocksKeptForGrace: number;
  /** Volumes a whole-store prune skipped because a backup, restore or delete held their lock. */
  skippedVolumes?: string[];
  /** What interrupted writes left behind (temp files of killed backups), removed; older than the grace period. */
  staleWritesRemoved?: string[];
}

/** What `backup forget` decided (and, unless a dry run, did). Newest first. */
export interface ForgetReport {
  volumeName: string;
  dryRun: boolean;
  policy: RetentionPolicy;
  kept: Array<{ backup: BackupSummary; reasons: KeepReason[] }>;
  removed: BackupSummary[];
}

/**
 * The backup engine: everything between a driver's snapshot and a backup store, independent of
 * both. Format: Convoy v0.5's store layout (see backup/layout.ts and backup/records.ts), plus additive fields.
 */
export interface BackupEngine {
  createBackup(params: CreateBackupParams): Promise<BackupSummary>;
  restoreBackup(params: RestoreParams): Promise<VolumeRecord>;
  deleteBackup(params: { store: ObjectStore; destUrl: string; backupName: string; volumeName: string; owner: string }): Promise<void>;
  /** Corrupt records are skipped and reported to `onSkipped`; the rest is listed. */
  listBackups(params: { store: ObjectStore; destUrl: string; volumeName?: string; onSkipped?: (key: string, err: ConvoyError) => void }): Promise<BackupSummary[]>;
  inspectBackup(params: { store: ObjectStore; destUrl: string; backupName: string; volumeName: string }): Promise<BackupSummary>;
  /** Sweeps blocks no backup references, older than `graceMs` (default 1 hour). */
  prune(params: { store: ObjectStore; owner: string; graceMs?: number; volumeName?: string }): Promise<PruneReport>;
  /** Applies a retention policy to one volume's backups under one exclusive lock. */
  forgetBackups(params: { store: ObjectStore; destUrl: string; volumeName: string; policy: RetentionPolicy; owner: string; dryRun?: boolean }): Promise<ForgetReport>;
}
