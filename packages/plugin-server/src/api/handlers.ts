import { ConvoyError, type Options, type ProgressListener } from '@convoy/core';
import type { CreateVolumeParams, EncryptionKeyParam, ScheduleService, StoreOperations, VolumeService } from '@convoy/volume-service';
import type { SummaryListener } from '../ndjson.js';
import type { OperationRegistry } from '../operations.js';
import { backupInfo, backupMap, infoResponse, snapshotResponse, volumeFacts, volumeResponse } from './go-responses.js';
import type { VolumeCreateRequest } from './go-types.js';
import { heldByDocker, snapshotWanted } from './hints.js';
import type { RouteName, RouteRequest, RouteResponse } from './route-table.js';

export interface HandlerContext {
  service: VolumeService;
  /** The store-wide operations: backup list, inspect, delete, prune, forget, verify, keys. */
  stores: StoreOperations;
  /** The daemon's scheduler (noScheduler when the embedding started none). */
  schedules: ScheduleService;
  onProgress: ProgressListener;
  /** What the operation stored, for the client's summary (NDJSON clients only). */
  onSummary: SummaryListener;
  /** Aborted when the client closes its connection before the answer is sent. */
  signal: AbortSignal;
  operations: OperationRegistry;
  /** The query string's parameters (Go's `list` reads `driver=1`). */
  query: Record<string, string | undefined>;
  /** The Docker mount IDs (one per container) that hold a volume; none without the Docker front end. */
  dockerMounts(volume: string): ReadonlySet<string>;
}
type Handler<K extends RouteName> = (body: RouteRequest<K>, ctx: HandlerContext) => Promise<RouteResponse<K>>;

/** What a server without a scheduler answers (an embedding that did not start one). */
export const noScheduler: ScheduleService = new Proxy({} as ScheduleService, {
  get: () => () => Promise.reject(new ConvoyError('NOT_SUPPORTED', 'this Convoy server runs no scheduler')),
});

/** Go's client sends "" and 0 for what it leaves out. */
const given = (text: string | undefined): string | undefined => (text === undefined || text === '' ? undefined : text);
/** A request's store settings: the endpoint, and the caller's key for an encrypted store. */
const store = (endpoint: string | undefined, encryptionKey?: EncryptionKeyParam) => ({
  ...(given(endpoint) === undefined ? {} : { endpoint: endpoint as string }),
  ...(encryptionKey === undefined ? {} : { encryptionKey }),
});

/** Go's create fields for drivers (id, type, iops, vm) travel as options, as Docker's `-o` does. */
function createParams(b: VolumeCreateRequest): CreateVolumeParams {
  const params: CreateVolumeParams = {};
  const name = given(b.Name);
  const driver = given(b.DriverName);
  const backupUrl = given(b.BackupURL);
  const endpoint = given(b.Endpoint);
  if (name !== undefined) params.name = name;
  if (driver !== undefined) params.driver = driver;
  if (b.Size) params.size = b.Size;
  if (backupUrl !== undefined) params.backupUrl = backupUrl;
  if (endpoint !== undefined) params.endpoint = endpoint;
  if (b.EncryptionKey !== undefined) params.encryptionKey = b.EncryptionKey;
  if (b.Standby) params.standby = true;
  const options: Options = { ...b.Options };
  if (given(b.DriverVolumeID) !== undefined) options.id = b.DriverVolumeID as string;
  if (given(b.Type) !== undefined) options.type = b.Type as string;
  if (b.IOPS) options.iops = String(b.IOPS);
  if (b.PrepareForVM) options.vm = 'true';
  if (Object.keys(options).length > 0) params.options = options;
  return params;
}

/** Go's non-verbose backup create escaped the URL's first `&` for shells; its inputs undo it. */
const shellEscapedUrl = (url: string) => url.replace('&', '\\u0026');

/** What each route does with the service; the route table fixes the types of both ends. */
export const HANDLERS: { [K in RouteName]: Handler<K> } = {
  info: async (_b, { service }) => infoResponse(await service.info()),
  listVolumes: async (_b, { service, query }) => {
    const volumes = await service.listVolumes();
    const shape = query.driver === '1' ? volumeFacts : volumeResponse;
    return Object.fromEntries(volumes.map((v) => [v.name, shape(v)])) as RouteResponse<'listVolumes'>;
  },
  inspectVolume: async (b, { service }) => volumeResponse(await service.getVolume(b.VolumeName)),
  createVolume: async (b, { service, onProgress, signal }) => {
    const volume = await service.createVolume({ ...createParams(b), signal }, onProgress);
    return b.Verbose ? volumeResponse(volume) : volume.name;
  },
  deleteVolume: async (b, { service, dockerMounts }) =>
    service.deleteVolume(b.VolumeName, { referenceOnly: b.ReferenceOnly === true }).catch((err: unknown) => {
      throw heldByDocker(b.VolumeName, dockerMounts(b.VolumeName), err);
    }),
  mountVolume: async (b, { service }) => {
    const mountpoint = await service.mountVolume(b.VolumeName, given(b.MountPoint) === undefined ? {} : { mountpoint: b.MountPoint as string });
    // Go filled only these two fields of a VolumeResponse here.
    return b.Verbose ? { Name: b.VolumeName, Driver: '', MountPoint: mountpoint, CreatedTime: '', DriverInfo: null, Snapshots: null } : mountpoint;
  },
  umountVolume: async (b, { service }) => service.umountVolume(b.VolumeName),
  resizeVolume: async (b, { service }) => volumeResponse(await service.resizeVolume(b.VolumeName, b.Size)),
  syncStandby: async (b, { service, onProgress, signal }) =>
    service.syncStandby(
      b.VolumeName,
      {
        signal,
        ...(given(b.BackupURL) === undefined ? {} : { backupUrl: b.BackupURL as string }),
        ...(b.Latest ? { latest: true } : {}),
        ...(b.EncryptionKey === undefined ? {} : { encryptionKey: b.EncryptionKey }),
      },
      onProgress,
    ),
  activateStandby: async (b, { service }) => volumeResponse(await service.activateStandby(b.VolumeName)),
  createSnapshot: async (b, { service }) => {
    const snapshot = await service.createSnapshot(b.VolumeName, given(b.Name), b.Consistent ? { consistent: true } : {});
    if (!b.Verbose) return snapshot.name;
    return snapshotResponse(snapshot, await service.getVolume(b.VolumeName), false);
  },
  inspectSnapshot: async (b, { service }) => {
    const snapshot = await service.getSnapshot(b.SnapshotName);
    return snapshotResponse(snapshot, await service.getVolume(snapshot.volumeName), true);
  },
  deleteSnapshot: async (b, { service }) => service.deleteSnapshot(b.SnapshotName),
  createBackup: async (b, { service, onProgress, onSummary, signal }) => {
    const req = {
      snapshot: b.SnapshotName,
      signal,
      dest: b.URL,
      ...store(b.Endpoint, b.EncryptionKey),
      ...(b.Compression === undefined ? {} : { compression: b.Compression }),
      ...(b.BlockSize === undefined ? {} : { blockSize: b.BlockSize }),
      ...(b.Layout === undefined ? {} : { layout: b.Layout }),
      ...(b.Encrypt ? { encrypt: true } : {}),
    };
    const backup = await service.createBackup(req, onProgress).catch((err: unknown) => snapshotWanted(service, b.SnapshotName, err));
    onSummary({ storedBytes: backup.uploadedBytes ?? 0 });
    return b.Verbose ? { URL: backup.url } : shellEscapedUrl(backup.url);
  },
  listBackups: async (b, { stores }) => {
    const volumeName = given(b.VolumeName);
    const snapshotName = given(b.SnapshotName);
    const backups = await stores.listBackups(b.URL, { ...store(b.Endpoint, b.EncryptionKey), ...(volumeName === undefined ? {} : { volumeName }) });
    return backupMap(snapshotName === undefined ? backups : backups.filter((x) => x.snapshotName === snapshotName));
  },
  inspectBackup: async (b, { stores }) => backupInfo(await stores.inspectBackup(b.URL, store(b.Endpoint, b.EncryptionKey))),
  deleteBackup: async (b, { stores }) => stores.deleteBackup(b.URL, store(b.Endpoint, b.EncryptionKey)),
  pruneBackups: async (b, { stores }) =>
    stores.pruneBackups(b.URL, {
      ...store(b.Endpoint, b.EncryptionKey),
      ...(b.GraceSeconds === undefined ? {} : { graceSeconds: b.GraceSeconds }),
      ...(b.MaxUnusedPercent === undefined ? {} : { maxUnusedPercent: b.MaxUnusedPercent }),
    }),
  forgetBackups: async (b, { stores }) =>
    stores.forgetBackups(b.dest, { volumeName: b.volumeName, policy: b.policy, dryRun: b.dryRun === true, ...store(b.endpoint, b.encryptionKey) }),
  verifyBackups: async (b, { stores, onProgress, signal }) =>
    stores.verifyBackups(
      b.target,
      {
        signal,
        ...store(b.endpoint, b.encryptionKey),
        ...(b.volumeName === undefined ? {} : { volumeName: b.volumeName }),
        ...(b.deep === undefined ? {} : { deep: b.deep }),
        ...(b.sample === undefined ? {} : { sample: b.sample }),
      },
      onProgress,
    ),
  copyBackups: async (b, { stores, onProgress, onSummary, signal }) => {
    const report = await stores.copyBackups({ ...b, signal }, onProgress);
    onSummary({ storedBytes: report.bytesCopied });
    return report;
  },
  initBackupStore: async (b, { stores }) => stores.initBackupStore(b.dest, store(b.endpoint, b.encryptionKey)),
  listBackupKeys: async (b, { stores }) => ({ keys: await stores.listBackupKeys(b.dest, store(b.endpoint, b.encryptionKey)) }),
  addBackupKey: async (b, { stores }) =>
    stores.addBackupKey(b.dest, { ...store(b.endpoint, b.encryptionKey), newKey: b.newKey, ...(b.label === undefined ? {} : { label: b.label }) }),
  removeBackupKey: async (b, { stores }) => stores.removeBackupKey(b.dest, b.keyId, store(b.endpoint, b.encryptionKey)),
  forgetSnapshots: async (b, { service }) => service.forgetSnapshots(b.volume, { policy: b.policy, dryRun: b.dryRun === true }),
  createSchedule: async (b, { schedules }) => schedules.createSchedule(b),
  listSchedules: async (_b, { schedules }) => ({ schedules: await schedules.listSchedules() }),
  inspectSchedule: async (b, { schedules }) => schedules.getSchedule(b.name),
  deleteSchedule: async (b, { schedules }) => schedules.deleteSchedule(b.name),
  pauseSchedule: async (b, { schedules }) => schedules.pauseSchedule(b.name),
  resumeSchedule: async (b, { schedules }) => schedules.resumeSchedule(b.name),
  runSchedule: async (b, { schedules }) => schedules.runSchedule(b.name),
  operationOutcome: async (b, { operations }) => operations.outcome(b.id),
};
