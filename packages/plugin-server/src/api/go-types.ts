import type { CompressionMethod, StoreLayout } from '@convoy/core/lite';
import type { EncryptionKeyParam, OptionSpec, RetentionPolicy } from '@convoy/core';

/**
 * The request and response shapes of Go Convoy v0.5.2's `/v1` API (its `api/request.go` and
 * `api/response.go`): Go's field names, and strings wherever Go had `map[string]string`. The
 * Go client sends every field of a request (no omitempty), so all of them are accepted; the
 * fields marked "addition" are Convoy's own and Go's client never sends them.
 */

/** Driver facts; Go printed every value as a string ("2147483648", "false"). */
export type DriverInfoMap = Record<string, string>;

export interface VolumeCreateRequest {
  Name?: string;
  DriverName?: string;
  Size?: number;
  BackupURL?: string;
  Endpoint?: string;
  DriverVolumeID?: string;
  Type?: string;
  IOPS?: number;
  PrepareForVM?: boolean;
  /** Answer with the VolumeResponse instead of the bare name. */
  Verbose?: boolean;
  /** Addition: driver-specific options, as `docker volume create -o`. */
  Options?: Record<string, string>;
  /** Addition: the key of an encrypted backup to restore (BackupURL). */
  EncryptionKey?: EncryptionKeyParam;
}
export interface VolumeNameRequest {
  VolumeName: string;
}
export interface VolumeDeleteRequest extends VolumeNameRequest {
  ReferenceOnly?: boolean;
}
export interface VolumeMountRequest extends VolumeNameRequest {
  MountPoint?: string;
  Verbose?: boolean;
}
/** Addition: grow a volume. */
export interface VolumeResizeRequest extends VolumeNameRequest {
  Size: number;
}
export interface SnapshotCreateRequest {
  Name?: string;
  VolumeName: string;
  Verbose?: boolean;
}
export interface SnapshotNameRequest {
  SnapshotName: string;
}
export interface BackupCreateRequest {
  URL: string;
  Endpoint?: string;
  SnapshotName: string;
  Verbose?: boolean;
  /** Addition: how blocks are compressed (zstd for block volumes, lz4 for directory volumes, when absent). */
  Compression?: CompressionMethod;
  /** Addition: the volume's backup block size in bytes (64 KiB to 2 MiB, a power of two), set by its first backup to a store. */
  BlockSize?: number;
  /** Addition: where the volume's blocks go, `packs` (default) or `convoy-v0.5` (Go Convoy's), set by its first backup to a store. */
  Layout?: StoreLayout;
  /** Additions: encrypt the volume's backups in this store (at its first backup there), and the caller's key. */
  Encrypt?: boolean;
  EncryptionKey?: EncryptionKeyParam;
}
export interface BackupListRequest {
  URL: string;
  Endpoint?: string;
  VolumeName?: string;
  SnapshotName?: string;
  /** Addition: the caller's key for an encrypted store. */
  EncryptionKey?: EncryptionKeyParam;
}
/** Go's client sends a BackupListRequest to inspect and a BackupDeleteRequest to delete. */
export interface BackupUrlRequest {
  URL: string;
  Endpoint?: string;
  VolumeName?: string;
  SnapshotName?: string;
  /** Addition: the caller's key for an encrypted store. */
  EncryptionKey?: EncryptionKeyParam;
}
/** Addition: remove blocks no backup references. */
export interface BackupPruneRequest {
  URL: string;
  Endpoint?: string;
  GraceSeconds?: number;
  /** Addition: pack layout, rewrite a pack once more than this percentage of it is unused (default 10). */
  MaxUnusedPercent?: number;
  EncryptionKey?: EncryptionKeyParam;
}

/** Addition (Convoy's own field names): a retention policy applied to one volume's backups in a store. */
export interface BackupForgetRequest {
  dest: string;
  volumeName: string;
  policy: RetentionPolicy;
  dryRun?: boolean;
  endpoint?: string;
  encryptionKey?: EncryptionKeyParam;
}
/** Addition (Convoy's own field names, like forget): a store and the caller's key for it. */
export interface BackupStoreRequest {
  dest: string;
  endpoint?: string;
  encryptionKey?: EncryptionKeyParam;
}
/** Addition: check a store, a volume in it or one backup (target: a store or backup URL). */
export interface BackupVerifyRequest {
  target: string;
  volumeName?: string;
  deep?: boolean;
  sample?: number;
  endpoint?: string;
  encryptionKey?: EncryptionKeyParam;
}
export interface BackupKeyAddRequest extends BackupStoreRequest {
  newKey: EncryptionKeyParam;
  label?: string;
}
export interface BackupKeyRemoveRequest extends BackupStoreRequest {
  keyId: string;
}
/** Addition: a retention policy applied to a volume's local snapshots. */
export interface SnapshotForgetRequest {
  volume: string;
  policy: RetentionPolicy;
  dryRun?: boolean;
}
/** Addition: the schedule routes name their schedule. */
export interface ScheduleNameRequest {
  name: string;
}

export interface SnapshotResponse {
  Name: string;
  /** Only in snapshot inspect and verbose snapshot create (Go's omitempty). */
  VolumeName?: string;
  VolumeCreatedAt?: string;
  CreatedTime: string;
  DriverInfo: DriverInfoMap;
}
export interface VolumeResponse {
  Name: string;
  Driver: string;
  /** Empty while unmounted. */
  MountPoint: string;
  CreatedTime: string;
  DriverInfo: DriverInfoMap;
  Snapshots: Record<string, SnapshotResponse>;
}
/** Verbose mount answers a VolumeResponse with only the name and mountpoint filled, as Go did. */
export interface MountResponse {
  Name: string;
  Driver: string;
  MountPoint: string;
  CreatedTime: string;
  DriverInfo: null;
  Snapshots: null;
}
export interface BackupURLResponse {
  URL: string;
}
/** One backup as `backup inspect` and `backup list` show it; every value a string. */
export interface BackupInfo {
  BackupName: string;
  BackupURL: string;
  DriverName: string;
  VolumeName: string;
  VolumeSize: string;
  VolumeCreatedAt: string;
  SnapshotName: string;
  SnapshotCreatedAt: string;
  CreatedTime: string;
  /** Additions: lz4, gzip or none; delta-block or single-file; for delta-block backups the block count; bytes uploaded. */
  CompressionMethod: string;
  BackupMode: string;
  BlockCount?: string;
  UploadedBytes?: string;
}
/** `info`'s General section: Go's daemonConfig. */
export interface GeneralInfo {
  Root: string;
  DriverList: string[];
  DefaultDriver: string;
  MountNamespaceFD: string;
  IgnoreDockerDelete: boolean;
  CreateOnDockerMount: boolean;
  CmdTimeout: string;
  /**
   * Additions: the daemon's version, its --store-opts, each driver's declared options (daemon's
   * --driver-opts and volume create options), and what it found wrong at start-up (absent when nothing).
   */
  Version: string;
  StoreOptions: Record<string, string>;
  DriverOptions?: Record<string, { daemon: OptionSpec[]; volume: OptionSpec[] }>;
  /** Addition: the daemon's CSI front end (`--csi-socket` and friends), only when it serves one. */
  CSI?: { socket: string; nodeId: string; backupTargets: string[]; snapshotMetadata: boolean };
  Problems?: Array<{ Driver?: string; Code: string; Message: string }>;
}
/** `info`: General, then one section per driver, keyed by its name. */
export type InfoResponse = { General: GeneralInfo } & Record<string, GeneralInfo | DriverInfoMap>;
