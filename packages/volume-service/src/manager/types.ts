import type { CopyReport, ForgetReport, KeyInfo, PruneReport, RetentionPolicy, SnapshotForgetReport, VerifyReport } from '@convoy/backup-store';
import type {
  BackupSummary,
  CompressionMethod,
  CreateSnapshotOptions,
  DriverTraitsView,
  Extent,
  OptionSpec,
  Options,
  ProgressListener,
  SnapshotRecord,
  StandbySyncRequest,
  StandbySyncResult,
  StoreLayout,
  VolumeRecord,
} from '@convoy/core';
import type { CopyBackupsRequest } from './store-copy.js';

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
  /** Opens an encrypted `backupUrl` when the daemon's own key does not. */
  encryptionKey?: EncryptionKeyParam;
  /** Keep the restored volume standby (it refuses writes until `standby activate`); needs `backupUrl`. */
  standby?: boolean;
  /** Aborted when the caller gives up (its client went away): the restore stops and leaves no volume. */
  signal?: AbortSignal;
}

/** A user key as the API carries it (the secret base64). Never logged, never stored. */
export interface EncryptionKeyParam {
  kind: 'passphrase' | 'key-file';
  secret: string;
}

/** What `standby sync` takes: its target, and the caller's key for an encrypted store (never stored, never logged). */
export interface SyncStandbyParams extends StandbySyncRequest {
  /** Opens the store the standby follows when the daemon's own key does not. */
  encryptionKey?: EncryptionKeyParam;
}

export interface BackupStoreParams {
  endpoint?: string;
  /** The caller's key for an encrypted store; the daemon's own (--encryption-key-file) otherwise. */
  encryptionKey?: EncryptionKeyParam;
}

export interface PruneOptions {
  /** Keep unreferenced objects younger than this (default 1 h): a running backup may still be writing them. */
  graceSeconds?: number;
  /** Pack layout: rewrite a pack once more than this percentage of it is unused (default 10). */
  maxUnusedPercent?: number;
}

export interface CreateBackupRequest extends BackupStoreParams {
  snapshot: string;
  dest: string;
  compression?: CompressionMethod;
  /** Bytes; set by a volume's first backup to a store (delta-block drivers). */
  blockSize?: number;
  /** Where the blocks go (delta-block drivers): `packs` (default) or `convoy-v0.5`, which Go Convoy reads; set by a volume's first backup. */
  layout?: StoreLayout;
  /** Encrypt the volume's backups in this store (only at its first backup there). */
  encrypt?: boolean;
  /** Aborted when the caller gives up (its client went away): the backup stops and records nothing. */
  signal?: AbortSignal;
}

export interface VerifyBackupsParams extends BackupStoreParams {
  /** Only this volume of the store (not with a backup URL, which names its volume). */
  volumeName?: string;
  deep?: boolean;
  /** With `deep`: the share of blocks read, 0 < sample ≤ 1. */
  sample?: number;
  /** Aborted when the caller gives up (its client went away): the check stops. */
  signal?: AbortSignal;
}

export interface AddBackupKeyParams extends BackupStoreParams {
  newKey: EncryptionKeyParam;
  label?: string;
}

export interface ForgetParams extends BackupStoreParams {
  policy: RetentionPolicy;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
}

export interface DaemonInfo {
  version: string;
  root: string;
  drivers: string[];
  defaultDriver: string;
  /** `info()` of each driver, by name. */
  driverInfo: Record<string, Record<string, unknown>>;
  /** What each driver reads: `--driver-opts` (daemon) and `create --opt` / `docker volume create -o` (volume). */
  driverOptions: Record<string, { daemon: OptionSpec[]; volume: OptionSpec[] }>;
  /** What each driver declares of its volumes (node-local, block device, size unit, …), by name. */
  driverTraits: Record<string, DriverTraitsView>;
  config: Record<string, unknown>;
  /** What the manager found wrong at start-up (a driver that could not list, a name in two drivers). */
  problems: StartupProblem[];
}

export interface StartupProblem {
  driver?: string;
  code: string;
  message: string;
}

/** A snapshot's allocated or changed blocks, as `snapshotBlocks` answers. */
export interface SnapshotBlocks {
  volumeName: string;
  /** The snapshot's size in bytes (the volume's when it was cut). */
  snapshotSize: number;
  blockSize: number;
  extents: Extent[];
}

/** Changed-block metadata, for the CSI SnapshotMetadata service (VolumeManager implements it). */
export interface ChangedBlockService {
  /**
   * The blocks of `snapshotName` that hold data, or, with a base, those that may differ from
   * `baseSnapshotName` (a snapshot of the same volume). NOT_SUPPORTED when the volume's driver
   * has no changed-block facet.
   */
  snapshotBlocks(snapshotName: string, baseSnapshotName?: string): Promise<SnapshotBlocks>;
}

/**
 * What the daemon offers about volumes (each touches a driver): the VolumeManager implements it
 * and the front ends expose it. Every method throws ConvoyError; names are validated here, before
 * any driver sees them. The operations on a backup store alone are StoreOperations.
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
  createSnapshot(volumeName: string, snapshotName?: string, opts?: CreateSnapshotOptions): Promise<SnapshotRecord>;
  deleteSnapshot(snapshotName: string): Promise<void>;
  getSnapshot(snapshotName: string): Promise<SnapshotRecord>;
  createBackup(req: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSummary>;
  /** Brings a standby volume to another backup of its source volume, writing only what differs (manager/standby-rules.ts). */
  syncStandby(name: string, req?: SyncStandbyParams, onProgress?: ProgressListener): Promise<StandbySyncResult>;
  /** Makes a standby volume an ordinary one. */
  activateStandby(name: string): Promise<VolumeRecord>;
  /** Applies a retention policy to a volume's snapshots on this host. */
  forgetSnapshots(volumeName: string, params: Omit<ForgetParams, 'endpoint'>): Promise<SnapshotForgetReport>;
  close(): Promise<void>;
}

/**
 * The operations on a backup store that never touch a driver or a volume of this host: list,
 * inspect, delete, prune, forget, verify, encryption set-up and keys. The VolumeManager hands out
 * its own (`storeOperations`, refused once it closes); the API handlers, the scheduler and CSI
 * take it directly. Every method throws ConvoyError.
 */
export interface StoreOperations {
  deleteBackup(url: string, params?: BackupStoreParams): Promise<void>;
  listBackups(dest: string, params?: BackupStoreParams & { volumeName?: string }): Promise<BackupSummary[]>;
  inspectBackup(url: string, params?: BackupStoreParams): Promise<BackupSummary>;
  pruneBackups(dest: string, params?: BackupStoreParams & PruneOptions): Promise<PruneReport>;
  /** `target` is a store URL or one backup's URL. */
  verifyBackups(target: string, params?: VerifyBackupsParams, onProgress?: ProgressListener): Promise<VerifyReport>;
  /** Makes the store's encryption key (if none) and encrypts every new volume backed up there. */
  initBackupStore(dest: string, params?: BackupStoreParams): Promise<{ masterKeyId: string }>;
  listBackupKeys(dest: string, params?: BackupStoreParams): Promise<KeyInfo[]>;
  addBackupKey(dest: string, params: AddBackupKeyParams): Promise<KeyInfo>;
  removeBackupKey(dest: string, keyId: string, params?: BackupStoreParams): Promise<void>;
  /** Applies a retention policy to one volume's backups in a store (one exclusive store lock). */
  forgetBackups(dest: string, params: ForgetParams & { volumeName: string }): Promise<ForgetReport>;
  /** Copies the backups another store lacks, with their names and times (store-copy.ts). */
  copyBackups(req: CopyBackupsRequest, onProgress?: ProgressListener): Promise<CopyReport>;
}
