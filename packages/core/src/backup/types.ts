import type { DeltaBlockBackupOps, SingleFileBackupOps, CreateVolumeRequest } from '../driver.js';
import type { ObjectStore } from '../objectstore.js';
import type { BackupSummary, CompressionMethod, ProgressListener, SnapshotRecord, VolumeRecord } from '../model.js';

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
  /** Default zstd for delta-block backups, lz4 for single-file ones. */
  compression?: CompressionMethod;
  /**
   * Delta-block mode: the volume's block size in bytes (a power of two from 64 KiB to 2 MiB).
   * Set by a volume's first backup and recorded in volume.cfg; a later backup asking for
   * another size is refused while the volume has backups. Default: what the volume has, else 2 MiB.
   */
  blockSize?: number;
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
}

/**
 * The backup engine: everything between a driver's snapshot and a backup store, independent of
 * both. Format: Convoy v0.5's store layout (see backup/format.ts), plus additive fields.
 */
export interface BackupEngine {
  createBackup(params: CreateBackupParams): Promise<BackupSummary>;
  restoreBackup(params: RestoreParams): Promise<VolumeRecord>;
  deleteBackup(params: { store: ObjectStore; destUrl: string; backupName: string; volumeName: string; owner: string }): Promise<void>;
  listBackups(params: { store: ObjectStore; destUrl: string; volumeName?: string }): Promise<BackupSummary[]>;
  inspectBackup(params: { store: ObjectStore; destUrl: string; backupName: string; volumeName: string }): Promise<BackupSummary>;
  /** Sweeps blocks no backup references, older than `graceMs` (default 1 hour). */
  prune(params: { store: ObjectStore; owner: string; graceMs?: number; volumeName?: string }): Promise<PruneReport>;
}
