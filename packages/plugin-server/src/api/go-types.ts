import type { ConsistencyReport, DriverTraitsView, OptionSpec, StandbyState } from '@convoy/core';
import type { FromSchema } from 'json-schema-to-ts';
import type * as schema from './schemas.js';

/**
 * The request and response shapes of Go Convoy v0.5.2's `/v1` API (its `api/request.go` and
 * `api/response.go`): Go's field names, and strings wherever Go had `map[string]string`. The
 * Go client sends every field of a request (no omitempty), so all of them are accepted; the
 * fields marked "addition" are Convoy's own and Go's client never sends them.
 */

/** Driver facts; Go printed every value as a string ("2147483648", "false"). */
export type DriverInfoMap = Record<string, string>;

// The request bodies: derived from their JSON schemas (schemas.ts), which fastify validates with,
// so a body's shape has one owner. Field notes live beside each schema.
export type VolumeCreateRequest = FromSchema<typeof schema.volumeCreateBody>;
export type VolumeNameRequest = FromSchema<typeof schema.volumeNameBody>;
export type VolumeDeleteRequest = FromSchema<typeof schema.volumeDeleteBody>;
export type VolumeMountRequest = FromSchema<typeof schema.volumeMountBody>;
/** Addition: grow a volume. */
export type VolumeResizeRequest = FromSchema<typeof schema.volumeResizeBody>;
export type StandbySyncRequestBody = FromSchema<typeof schema.standbySyncBody>;
export type SnapshotCreateRequest = FromSchema<typeof schema.snapshotCreateBody>;
export type SnapshotNameRequest = FromSchema<typeof schema.snapshotNameBody>;
export type BackupCreateRequest = FromSchema<typeof schema.backupCreateBody>;
/** Go's client sends a BackupListRequest to list and inspect and a BackupDeleteRequest to delete: one body serves all three. */
export type BackupListRequest = FromSchema<typeof schema.backupUrlBody>;
export type BackupUrlRequest = FromSchema<typeof schema.backupUrlBody>;
/** Addition: remove blocks no backup references. */
export type BackupPruneRequest = FromSchema<typeof schema.backupPruneBody>;
/** Addition (Convoy's own field names): a retention policy applied to one volume's backups in a store. */
export type BackupForgetRequest = FromSchema<typeof schema.backupForgetBody>;
/** Addition (Convoy's own field names, like forget): a store and the caller's key for it. */
export type BackupStoreRequest = FromSchema<typeof schema.backupStoreBody>;
/** Addition: check a store, a volume in it or one backup (target: a store or backup URL). */
export type BackupVerifyRequest = FromSchema<typeof schema.backupVerifyBody>;
/** Addition: copy backups from one store to another. */
export type BackupCopyRequest = FromSchema<typeof schema.backupCopyBody>;
export type BackupKeyAddRequest = FromSchema<typeof schema.backupKeyAddBody>;
export type BackupKeyRemoveRequest = FromSchema<typeof schema.backupKeyRemoveBody>;
/** Addition: a retention policy applied to a volume's local snapshots. */
export type SnapshotForgetRequest = FromSchema<typeof schema.snapshotForgetBody>;
/** Addition: a schedule, as ScheduleSpec in @convoy/volume-service (which checks it before it is saved). */
export type ScheduleCreateRequest = FromSchema<typeof schema.scheduleCreateBody>;
/** Addition: the schedule routes name their schedule. */
export type ScheduleNameRequest = FromSchema<typeof schema.scheduleNameBody>;

export interface SnapshotResponse {
  Name: string;
  /** Only in snapshot inspect and verbose snapshot create (Go's omitempty). */
  VolumeName?: string;
  VolumeCreatedAt?: string;
  CreatedTime: string;
  DriverInfo: DriverInfoMap;
  /** Addition, only on a consistent create: which containers' hooks ran and how. */
  Consistency?: ConsistencyReport;
}
export interface VolumeResponse {
  Name: string;
  Driver: string;
  /** Empty while unmounted. */
  MountPoint: string;
  CreatedTime: string;
  DriverInfo: DriverInfoMap;
  Snapshots: Record<string, SnapshotResponse>;
  /** Addition, only on standby volumes (absent on every other, so Go's shape is unchanged). */
  Standby?: StandbyState;
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
  /** Addition: what each driver declares of its volumes (node-local, block device, size unit, size honoured, create options). */
  DriverTraits?: Record<string, DriverTraitsView>;
  /** Addition: the daemon's CSI front end (`--csi-socket` and friends), only when it serves one. */
  CSI?: { socket: string; nodeId: string; backupTargets: string[]; snapshotMetadata: boolean };
  Problems?: Array<{ Driver?: string; Code: string; Message: string }>;
}
/** `info`: General, then one section per driver, keyed by its name. */
export type InfoResponse = { General: GeneralInfo } & Record<string, GeneralInfo | DriverInfoMap>;
