import type { Options } from '../driver.js';
import type { BackupSummary, CompressionMethod, ProgressListener, SnapshotRecord, VolumeRecord } from '../model.js';
import type { PruneReport } from '../backup/types.js';

export interface CreateVolumeParams {
  /** Generated (`volume-<16 hex>`) when absent. */
  name?: string;
  /** The default driver (the first `--drivers`) when absent. */
  driver?: string;
  size?: number;
  /** Restore this backup into the new volume. */
  backupUrl?: string;
  /** S3 endpoint for `backupUrl`; only with an s3:// URL. */
  endpoint?: string;
  options?: Options;
}

export interface BackupStoreParams {
  endpoint?: string;
}

export interface CreateBackupRequest extends BackupStoreParams {
  snapshot: string;
  dest: string;
  compression?: CompressionMethod;
  /** Bytes; set by a volume's first backup to a store (delta-block drivers). */
  blockSize?: number;
}

export interface DaemonInfo {
  version: string;
  root: string;
  drivers: string[];
  defaultDriver: string;
  /** `info()` of each driver, by name. */
  driverInfo: Record<string, Record<string, unknown>>;
  config: Record<string, unknown>;
  /** What the manager found wrong at start-up (a driver that could not list, a name in two drivers). */
  problems: StartupProblem[];
}

export interface StartupProblem {
  driver?: string;
  code: string;
  message: string;
}

/**
 * What the daemon offers: the VolumeManager implements it and the plugin server exposes it.
 * Every method throws ConvoyError; names are validated here, before any driver sees them.
 */
export interface VolumeService {
  info(): Promise<DaemonInfo>;
  createVolume(params: CreateVolumeParams, onProgress?: ProgressListener): Promise<VolumeRecord>;
  deleteVolume(name: string, opts: { referenceOnly: boolean }): Promise<void>;
  mountVolume(name: string, opts?: { mountpoint?: string }): Promise<string>;
  umountVolume(name: string): Promise<void>;
  /** Grows a volume to `size` bytes (NOT_SUPPORTED when its driver cannot; a shrink is INVALID_ARGUMENT). */
  resizeVolume(name: string, size: number): Promise<VolumeRecord>;
  /** NOT_FOUND when missing. */
  getVolume(name: string): Promise<VolumeRecord>;
  findVolume(name: string): Promise<VolumeRecord | undefined>;
  listVolumes(): Promise<VolumeRecord[]>;
  /** Snapshot names are unique across the host and may not reuse a volume's name. */
  createSnapshot(volumeName: string, snapshotName?: string): Promise<SnapshotRecord>;
  deleteSnapshot(snapshotName: string): Promise<void>;
  getSnapshot(snapshotName: string): Promise<SnapshotRecord>;
  createBackup(req: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSummary>;
  deleteBackup(url: string, params?: BackupStoreParams): Promise<void>;
  listBackups(dest: string, params?: BackupStoreParams & { volumeName?: string }): Promise<BackupSummary[]>;
  inspectBackup(url: string, params?: BackupStoreParams): Promise<BackupSummary>;
  pruneBackups(dest: string, params?: BackupStoreParams & { graceSeconds?: number }): Promise<PruneReport>;
  close(): Promise<void>;
}
