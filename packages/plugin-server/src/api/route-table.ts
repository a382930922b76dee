import type { CopyReport, ForgetReport, KeyInfo, PruneReport, SnapshotForgetReport, VerifyReport } from '@convoy/backup-store';
import type { StandbySyncResult } from '@convoy/core';
import type { ScheduleRun, ScheduleView } from '@convoy/volume-service';
import type { OperationOutcome } from '../operations.js';
import type * as Go from './go-types.js';
import * as schema from './schemas.js';

/**
 * Convoy's API, once, for the server and the client: each route's method, path and body
 * schema, and (in RouteTypes) the TypeScript shapes of its request and answer. The paths,
 * methods and shapes are Go Convoy v0.5.2's, so its client drives this daemon; resize, prune,
 * forget, verify, encryption keys and the schedule routes are additions (all but resize and
 * prune in Convoy's own shapes). This module loads nothing heavy: the CLI's client imports it.
 *
 * To add a route: an entry here and in RouteTypes, a handler in routes.ts (the compiler asks
 * for it), and a client call `client.call('<name>', body)`.
 */
export const API_PREFIX = '/v1';
export const NDJSON_TYPE = 'application/x-ndjson';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
interface RouteSpec {
  method: HttpMethod;
  path: string;
  /** The JSON schema of the body; none for routes that read no body. */
  body?: object;
}

/** What each route takes and answers. A `string` answer is Go's bare (non-verbose) reply. */
export interface RouteTypes {
  info: { request: undefined; response: Go.InfoResponse };
  /** `?driver=1` answers each volume's raw driver facts instead (Go's `list --driver`). */
  listVolumes: { request: undefined; response: Record<string, Go.VolumeResponse> | Record<string, Go.DriverInfoMap> };
  inspectVolume: { request: Go.VolumeNameRequest; response: Go.VolumeResponse };
  createVolume: { request: Go.VolumeCreateRequest; response: string | Go.VolumeResponse };
  deleteVolume: { request: Go.VolumeDeleteRequest; response: void };
  mountVolume: { request: Go.VolumeMountRequest; response: string | Go.MountResponse };
  umountVolume: { request: Go.VolumeNameRequest; response: void };
  resizeVolume: { request: Go.VolumeResizeRequest; response: Go.VolumeResponse };
  /** Addition: standby volumes (convoy standby sync / activate). */
  syncStandby: { request: Go.StandbySyncRequestBody; response: StandbySyncResult };
  activateStandby: { request: Go.VolumeNameRequest; response: Go.VolumeResponse };
  createSnapshot: { request: Go.SnapshotCreateRequest; response: string | Go.SnapshotResponse };
  inspectSnapshot: { request: Go.SnapshotNameRequest; response: Go.SnapshotResponse };
  deleteSnapshot: { request: Go.SnapshotNameRequest; response: void };
  createBackup: { request: Go.BackupCreateRequest; response: string | Go.BackupURLResponse };
  listBackups: { request: Go.BackupListRequest; response: Record<string, Go.BackupInfo> };
  inspectBackup: { request: Go.BackupUrlRequest; response: Go.BackupInfo };
  deleteBackup: { request: Go.BackupUrlRequest; response: void };
  pruneBackups: { request: Go.BackupPruneRequest; response: PruneReport };
  forgetBackups: { request: Go.BackupForgetRequest; response: ForgetReport };
  verifyBackups: { request: Go.BackupVerifyRequest; response: VerifyReport };
  copyBackups: { request: Go.BackupCopyRequest; response: CopyReport };
  initBackupStore: { request: Go.BackupStoreRequest; response: { masterKeyId: string } };
  listBackupKeys: { request: Go.BackupStoreRequest; response: { keys: KeyInfo[] } };
  addBackupKey: { request: Go.BackupKeyAddRequest; response: KeyInfo };
  removeBackupKey: { request: Go.BackupKeyRemoveRequest; response: void };
  forgetSnapshots: { request: Go.SnapshotForgetRequest; response: SnapshotForgetReport };
  createSchedule: { request: Go.ScheduleCreateRequest; response: ScheduleView };
  listSchedules: { request: undefined; response: { schedules: ScheduleView[] } };
  inspectSchedule: { request: Go.ScheduleNameRequest; response: ScheduleView };
  deleteSchedule: { request: Go.ScheduleNameRequest; response: void };
  pauseSchedule: { request: Go.ScheduleNameRequest; response: ScheduleView };
  resumeSchedule: { request: Go.ScheduleNameRequest; response: ScheduleView };
  /** Runs the schedule now and answers when the run ends. */
  runSchedule: { request: Go.ScheduleNameRequest; response: ScheduleRun };
  /** How a request sent with an `x-convoy-operation` id ended; waits while it runs (operations.ts). */
  operationOutcome: { request: { id: string }; response: OperationOutcome };
}

export type RouteName = keyof RouteTypes;
export type RouteRequest<K extends RouteName> = RouteTypes[K]['request'];
export type RouteResponse<K extends RouteName> = RouteTypes[K]['response'];

export const ROUTES = {
  info: { method: 'GET', path: '/info' },
  listVolumes: { method: 'GET', path: '/volumes/list' },
  inspectVolume: { method: 'GET', path: '/volumes/', body: schema.volumeNameBody },
  createVolume: { method: 'POST', path: '/volumes/create', body: schema.volumeCreateBody },
  deleteVolume: { method: 'DELETE', path: '/volumes/', body: schema.volumeDeleteBody },
  mountVolume: { method: 'POST', path: '/volumes/mount', body: schema.volumeMountBody },
  umountVolume: { method: 'POST', path: '/volumes/umount', body: schema.volumeNameBody },
  resizeVolume: { method: 'POST', path: '/volumes/resize', body: schema.volumeResizeBody },
  syncStandby: { method: 'POST', path: '/standby/sync', body: schema.standbySyncBody },
  activateStandby: { method: 'POST', path: '/standby/activate', body: schema.volumeNameBody },
  createSnapshot: { method: 'POST', path: '/snapshots/create', body: schema.snapshotCreateBody },
  inspectSnapshot: { method: 'GET', path: '/snapshots/', body: schema.snapshotNameBody },
  deleteSnapshot: { method: 'DELETE', path: '/snapshots/', body: schema.snapshotNameBody },
  createBackup: { method: 'POST', path: '/backups/create', body: schema.backupCreateBody },
  listBackups: { method: 'GET', path: '/backups/list', body: schema.backupUrlBody },
  inspectBackup: { method: 'GET', path: '/backups/inspect', body: schema.backupUrlBody },
  deleteBackup: { method: 'DELETE', path: '/backups', body: schema.backupUrlBody },
  pruneBackups: { method: 'POST', path: '/backups/prune', body: schema.backupPruneBody },
  forgetBackups: { method: 'POST', path: '/backups/forget', body: schema.backupForgetBody },
  verifyBackups: { method: 'POST', path: '/backups/verify', body: schema.backupVerifyBody },
  copyBackups: { method: 'POST', path: '/backups/copy', body: schema.backupCopyBody },
  initBackupStore: { method: 'POST', path: '/backups/init', body: schema.backupStoreBody },
  listBackupKeys: { method: 'POST', path: '/backups/keys/list', body: schema.backupStoreBody },
  addBackupKey: { method: 'POST', path: '/backups/keys/add', body: schema.backupKeyAddBody },
  removeBackupKey: { method: 'POST', path: '/backups/keys/remove', body: schema.backupKeyRemoveBody },
  forgetSnapshots: { method: 'POST', path: '/snapshots/forget', body: schema.snapshotForgetBody },
  createSchedule: { method: 'POST', path: '/schedules/create', body: schema.scheduleCreateBody },
  listSchedules: { method: 'GET', path: '/schedules/list' },
  inspectSchedule: { method: 'POST', path: '/schedules/inspect', body: schema.scheduleNameBody },
  deleteSchedule: { method: 'POST', path: '/schedules/delete', body: schema.scheduleNameBody },
  pauseSchedule: { method: 'POST', path: '/schedules/pause', body: schema.scheduleNameBody },
  resumeSchedule: { method: 'POST', path: '/schedules/resume', body: schema.scheduleNameBody },
  runSchedule: { method: 'POST', path: '/schedules/run', body: schema.scheduleNameBody },
  operationOutcome: { method: 'POST', path: '/operations/outcome', body: schema.operationIdBody },
} as const satisfies { [K in RouteName]: RouteSpec };
