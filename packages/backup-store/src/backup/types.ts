import type {
  BackupSummary,
  CompressionMethod,
  ConvoyError,
  CreateVolumeRequest,
  DeltaBlockBackupOps,
  ObjectStore,
  ProgressListener,
  SingleFileBackupOps,
  SnapshotRecord,
  StandbySyncReport,
  StoreLayout,
  VolumeRecord,
} from '@convoy/core';
import type { KeepReason, RetentionPolicy } from '../retention/policy.js';
import type { CopyBackupsParams, CopyReport } from './copy.js';
import type { KeyInfo } from './crypto/key-records.js';
import type { UserKey } from './crypto/user-key.js';
import type { BlobCipher } from './pack-cipher.js';
import type { StandbySyncParams } from './standby-sync.js';
import type { VerifyParams, VerifyReport } from './verify.js';

/** Every engine call may bring the user key that opens an encrypted store (else the engine's own). */
export interface KeyedParams {
  encryptionKey?: UserKey;
}

/** Tuning for the backup and restore pipelines; defaults suit 2 cores. */
export interface PipelineOptions extends KeyedParams {
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
  /**
   * Delta-block mode: how the volume's blocks are laid out in the store (model.ts StoreLayout).
   * Set by a volume's first backup and recorded in volume.cfg; a later backup asking for another
   * layout is refused while the volume has backups. Default: what the volume has, else `packs`.
   */
  layout?: StoreLayout;
  /** Identifies this host in store locks ("who holds it"). */
  owner: string;
  /** Encrypt the volume's backups; only at its first backup (see crypto/volume-access.ts). */
  encrypt?: boolean;
  /** Set by the engine from the volume's encryption, never by callers. */
  sealing?: VolumeSealing;
}

/** How an encrypted volume's blocks are named and which store key it records (engine-internal). */
export interface VolumeSealing {
  nameBlock?: (data: Buffer) => string;
  encryptionKeyId?: string;
  /** Seals the blobs of the volume's packs. */
  cipher?: BlobCipher;
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
  /** Set by the engine from the volume's encryption, never by callers. */
  sealing?: VolumeSealing;
}

export interface PruneReport {
  volumes: number;
  blocksScanned: number;
  blocksRemoved: number;
  bytesRemoved: number;
  /** Unreferenced blocks younger than the grace period, kept because a backup may be writing them. */
  blocksKeptForGrace: number;
  /** Pack layout: packs looked at, removed (wholly unused), rewritten (mostly unused), and kept young. */
  packsScanned?: number;
  packsRemoved?: number;
  packsRewritten?: number;
  packsKeptForGrace?: number;
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
  /** Brings a standby volume from the backups it holds to another backup of the same volume (standby-sync.ts). */
  syncStandby(params: StandbySyncParams): Promise<StandbySyncReport>;
  deleteBackup(params: KeyedParams & { store: ObjectStore; destUrl: string; backupName: string; volumeName: string; owner: string }): Promise<void>;
  /** Corrupt records are skipped and reported to `onSkipped`; the rest is listed. */
  listBackups(
    params: KeyedParams & { store: ObjectStore; destUrl: string; volumeName?: string; onSkipped?: (key: string, err: ConvoyError) => void },
  ): Promise<BackupSummary[]>;
  inspectBackup(params: KeyedParams & { store: ObjectStore; destUrl: string; backupName: string; volumeName: string }): Promise<BackupSummary>;
  /** Sweeps blocks no backup references, older than `graceMs` (default 1 hour). */
  prune(params: KeyedParams & { store: ObjectStore; owner: string; graceMs?: number; volumeName?: string; maxUnused?: number }): Promise<PruneReport>;
  /** Checks that backups would restore (see verify.ts); never changes the store. */
  verify(params: KeyedParams & VerifyParams): Promise<VerifyReport>;
  /** Makes the store's master key (wrapped by the engine's user key) and encrypts every new volume. */
  initStore(params: KeyedParams & { store: ObjectStore }): Promise<{ masterKeyId: string }>;
  listKeys(params: { store: ObjectStore }): Promise<KeyInfo[]>;
  /** Adds another user key; the engine's own key must open the store. No data is re-encrypted. */
  addKey(params: KeyedParams & { store: ObjectStore; newKey: UserKey; label?: string }): Promise<KeyInfo>;
  /** Removes a user key; the last one is refused. */
  removeKey(params: KeyedParams & { store: ObjectStore; keyId: string }): Promise<void>;
  /** Applies a retention policy to one volume's backups under one exclusive lock. */
  forgetBackups(
    params: KeyedParams & { store: ObjectStore; destUrl: string; volumeName: string; policy: RetentionPolicy; owner: string; dryRun?: boolean },
  ): Promise<ForgetReport>;
  /** Copies the backups the target store lacks, with their names and times (see copy.ts). */
  copyBackups(params: CopyBackupsParams): Promise<CopyReport>;
}
