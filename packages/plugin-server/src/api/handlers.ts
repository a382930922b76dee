import { ConvoyError, type CreateVolumeParams, type EncryptionKeyParam, type Options, type ProgressListener, type ScheduleService, type VolumeService } from '@convoy/core';
import type { VolumeCreateRequest } from './go-types.js';
import { backupInfo, backupMap, infoResponse, snapshotResponse, volumeFacts, volumeResponse } from './go-responses.js';
import type { RouteName, RouteRequest, RouteResponse } from './route-table.js';

export interface HandlerContext {
  service: VolumeService;
  /** The daemon's scheduler (noScheduler when the embedding started none). */
  schedules: ScheduleService;
  onProgress: ProgressListener;
  /** The query string's parameters (Go's `list` reads `driver=1`). */
  query: Record<string, string | undefined>;
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
  createVolume: async (b, { service, onProgress }) => {
    const volume = await service.createVolume(createParams(b), onProgress);
    return b.Verbose ? volumeResponse(volume) : volume.name;
  },
  deleteVolume: async (b, { service }) => service.deleteVolume(b.VolumeName, { referenceOnly: b.ReferenceOnly === true }),
  mountVolume: async (b, { service }) => {
    const mountpoint = await service.mountVolume(b.VolumeName, given(b.MountPoint) === undefined ? {} : { mountpoint: b.MountPoint as string });
    // Go filled only these two fields of a VolumeResponse here.
    return b.Verbose ? { Name: b.VolumeName, Driver: '', MountPoint: mountpoint, CreatedTime: '', DriverInfo: null, Snapshots: null } : mountpoint;
  },
  umountVolume: async (b, { service }) => service.umountVolume(b.VolumeName),
  resizeVolume: async (b, { service }) => volumeResponse(await service.resizeVolume(b.VolumeName, b.Size)),
  createSnapshot: async (b, { service }) => {
    const snapshot = await service.createSnapshot(b.VolumeName, given(b.Name));
    if (!b.Verbose) return snapshot.name;
    return snapshotResponse(snapshot, await service.getVolume(b.VolumeName), false);
  },
  inspectSnapshot: async (b, { service }) => {
    const snapshot = await service.getSnapshot(b.SnapshotName);
    return snapshotResponse(snapshot, await service.getVolume(snapshot.volumeName), true);
  },
  deleteSnapshot: async (b, { service }) => service.deleteSnapshot(b.SnapshotName),
  createBackup: async (b, { service, onProgress }) => {
    const req = {
      snapshot: b.SnapshotName,
      dest: b.URL,
      ...store(b.Endpoint, b.EncryptionKey),
      ...(b.Compression === undefined ? {} : { compression: b.Compression }),
      ...(b.BlockSize === undefined ? {} : { blockSize: b.BlockSize }),
      ...(b.Layout === undefined ? {} : { layout: b.Layout }),
      ...(b.Encrypt ? { encrypt: true } : {}),
    };
    const backup = await service.createBackup(req, onProgress);
    return b.Verbose ? { URL: backup.url } : shellEscapedUrl(backup.url);
  },
  listBackups: async (b, { service }) => {
    const volumeName = given(b.VolumeName);
    const snapshotName = given(b.SnapshotName);
    const backups = await service.listBackups(b.URL, { ...store(b.Endpoint, b.EncryptionKey), ...(volumeName === undefined ? {} : { volumeName }) });
    return backupMap(snapshotName === undefined ? backups : backups.filter((x) => x.snapshotName === snapshotName));
  },
  inspectBackup: async (b, { service }) => backupInfo(await service.inspectBackup(b.URL, store(b.Endpoint, b.EncryptionKey))),
  deleteBackup: async (b, { service }) => service.deleteBackup(b.URL, store(b.Endpoint, b.EncryptionKey)),
  pruneBackups: async (b, { service }) =>
    service.pruneBackups(b.URL, {
      ...store(b.Endpoint, b.EncryptionKey),
      ...(b.GraceSeconds === undefined ? {} : { graceSeconds: b.GraceSeconds }),
      ...(b.MaxUnusedPercent === undefined ? {} : { maxUnusedPercent: b.MaxUnusedPercent }),
    }),
  forgetBackups: async (b, { service }) =>
    service.forgetBackups(b.dest, { volumeName: b.volumeName, policy: b.policy, dryRun: b.dryRun === true, ...store(b.endpoint, b.encryptionKey) }),
  verifyBackups: async (b, { service, onProgress }) =>
    service.verifyBackups(
      b.target,
      {
        ...store(b.endpoint, b.encryptionKey),
        ...(b.volumeName === undefined ? {} : { volumeName: b.volumeName }),
        ...(b.deep === undefined ? {} : { deep: b.deep }),
        ...(b.sample === undefined ? {} : { sample: b.sample }),
      },
      onProgress,
    ),
  initBackupStore: async (b, { service }) => service.initBackupStore(b.dest, store(b.endpoint, b.encryptionKey)),
  listBackupKeys: async (b, { service }) => ({ keys: await service.listBackupKeys(b.dest, store(b.endpoint, b.encryptionKey)) }),
  addBackupKey: async (b, { service }) =>
    service.addBackupKey(b.dest, { ...store(b.endpoint, b.encryptionKey), newKey: b.newKey, ...(b.label === undefined ? {} : { label: b.label }) }),
  removeBackupKey: async (b, { service }) => service.removeBackupKey(b.dest, b.keyId, store(b.endpoint, b.encryptionKey)),
  forgetSnapshots: async (b, { service }) => service.forgetSnapshots(b.volume, { policy: b.policy, dryRun: b.dryRun === true }),
  createSchedule: async (b, { schedules }) => schedules.createSchedule(b),
  listSchedules: async (_b, { schedules }) => ({ schedules: await schedules.listSchedules() }),
  inspectSchedule: async (b, { schedules }) => schedules.getSchedule(b.name),
  deleteSchedule: async (b, { schedules }) => schedules.deleteSchedule(b.name),
  pauseSchedule: async (b, { schedules }) => schedules.pauseSchedule(b.name),
  resumeSchedule: async (b, { schedules }) => schedules.resumeSchedule(b.name),
  runSchedule: async (b, { schedules }) => schedules.runSchedule(b.name),
};
