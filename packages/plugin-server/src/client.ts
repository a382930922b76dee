import http from 'node:http';
import {
  ConvoyError,
  isConvoyError,
  type AddBackupKeyParams,
  type BackupStoreParams,
  type KeyInfo,
  type VerifyBackupsParams,
  type VerifyReport,
  type BackupSummary,
  type ConvoyErrorJSON,
  type CreateBackupRequest,
  type CreateVolumeParams,
  type DaemonInfo,
  type ForgetParams,
  type ForgetReport,
  type SnapshotForgetReport,
  type ProgressListener,
  type PruneReport,
  type SnapshotRecord,
  type VolumeRecord,
  type VolumeService,
} from '@convoy/core';
import { API_PREFIX } from './api-routes.js';
import { NDJSON_TYPE, type NdjsonLine } from './ndjson.js';
import { unlessNotFound } from './not-found.js';

function isErrorJson(value: unknown): value is ConvoyErrorJSON {
  return typeof value === 'object' && value !== null && typeof (value as ConvoyErrorJSON).code === 'string' && typeof (value as ConvoyErrorJSON).message === 'string';
}

function unreachable(socketPath: string, err: NodeJS.ErrnoException): ConvoyError {
  const details = { socket: socketPath, errno: err.code };
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ConvoyError('INTERNAL', `cannot reach the convoy daemon at ${socketPath}: is \`convoy daemon\` running? (${err.code})`, { details });
    case 'EACCES':
      return new ConvoyError('INTERNAL', `permission denied on ${socketPath}: run as root or as a member of the daemon's --socket-group`, { details });
    default:
      return new ConvoyError('INTERNAL', `lost the connection to the convoy daemon at ${socketPath}: ${err.message}`, { details, cause: err });
  }
}

/** Reads an NDJSON answer: progress lines to the listener, then the result or the error. */
function readNdjson(res: http.IncomingMessage, onProgress: ProgressListener | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let settled = false;
    const handle = (text: string) => {
      if (text.trim() === '' || settled) return;
      const line = JSON.parse(text) as NdjsonLine;
      if ('progress' in line) onProgress?.(line.progress);
      else if ('result' in line) {
        settled = true;
        resolve(line.result);
      } else if ('error' in line) {
        settled = true;
        reject(ConvoyError.fromJSON(line.error));
      }
    };
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    res.on('end', () => {
      handle(pending);
      if (!settled) reject(new ConvoyError('INTERNAL', 'the convoy daemon closed the connection before the operation finished (did it stop?)'));
    });
    res.on('error', reject);
  });
}

function readJson(res: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        reject(new ConvoyError('INTERNAL', `the convoy daemon answered HTTP ${res.statusCode} with something that is not JSON: ${text.slice(0, 200)}`));
        return;
      }
      if (res.statusCode === 200) resolve(body);
      else if (isErrorJson(body)) reject(ConvoyError.fromJSON(body));
      else reject(new ConvoyError('INTERNAL', `the convoy daemon answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
    });
  });
}

/**
 * Convoy's API seen from the client side: the same VolumeService the daemon implements,
 * spoken over the daemon's unix socket. Failures arrive as the daemon's ConvoyErrors.
 */
export class ConvoyClient implements VolumeService {
  constructor(readonly socketPath: string) {}

  /** One API call (`route` under /v1); other clients of the same socket (schedules) share it. */
  call<T>(method: 'GET' | 'POST', route: string, body?: object, onProgress?: ProgressListener): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: API_PREFIX + route,
          headers: {
            accept: onProgress ? `${NDJSON_TYPE}, application/json` : 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const reading = String(res.headers['content-type']).startsWith(NDJSON_TYPE) ? readNdjson(res, onProgress) : readJson(res);
          reading.then((v) => resolve(v as T), reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(isConvoyError(err) ? err : unreachable(this.socketPath, err)));
      req.end(payload);
    });
  }

  info(): Promise<DaemonInfo> {
    return this.call('GET', '/info');
  }
  createVolume(params: CreateVolumeParams, onProgress?: ProgressListener): Promise<VolumeRecord> {
    return this.call('POST', '/volumes/create', params, onProgress);
  }
  async deleteVolume(name: string, opts: { referenceOnly: boolean }): Promise<void> {
    await this.call('POST', '/volumes/delete', { name, referenceOnly: opts.referenceOnly });
  }
  async mountVolume(name: string, opts: { mountpoint?: string } = {}): Promise<string> {
    const res = await this.call<{ mountpoint: string }>('POST', '/volumes/mount', { name, mountpoint: opts.mountpoint });
    return res.mountpoint;
  }
  async umountVolume(name: string): Promise<void> {
    await this.call('POST', '/volumes/umount', { name });
  }
  resizeVolume(name: string, size: number): Promise<VolumeRecord> {
    return this.call('POST', '/volumes/resize', { name, size });
  }
  getVolume(name: string): Promise<VolumeRecord> {
    return this.call('POST', '/volumes/inspect', { name });
  }
  findVolume(name: string): Promise<VolumeRecord | undefined> {
    return this.getVolume(name).catch(unlessNotFound);
  }
  async listVolumes(): Promise<VolumeRecord[]> {
    return (await this.call<{ volumes: VolumeRecord[] }>('GET', '/volumes/list')).volumes;
  }
  createSnapshot(volumeName: string, snapshotName?: string): Promise<SnapshotRecord> {
    return this.call('POST', '/snapshots/create', { volume: volumeName, name: snapshotName });
  }
  async deleteSnapshot(snapshotName: string): Promise<void> {
    await this.call('POST', '/snapshots/delete', { name: snapshotName });
  }
  getSnapshot(snapshotName: string): Promise<SnapshotRecord> {
    return this.call('POST', '/snapshots/inspect', { name: snapshotName });
  }
  createBackup(req: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSummary> {
    return this.call('POST', '/backups/create', req, onProgress);
  }
  async deleteBackup(url: string, params: BackupStoreParams = {}): Promise<void> {
    await this.call('POST', '/backups/delete', { url, endpoint: params.endpoint, encryptionKey: params.encryptionKey });
  }
  async listBackups(dest: string, params: BackupStoreParams & { volumeName?: string } = {}): Promise<BackupSummary[]> {
    const body = { dest, volumeName: params.volumeName, endpoint: params.endpoint, encryptionKey: params.encryptionKey };
    return (await this.call<{ backups: BackupSummary[] }>('POST', '/backups/list', body)).backups;
  }
  inspectBackup(url: string, params: BackupStoreParams = {}): Promise<BackupSummary> {
    return this.call('POST', '/backups/inspect', { url, endpoint: params.endpoint, encryptionKey: params.encryptionKey });
  }
  pruneBackups(dest: string, params: BackupStoreParams & { graceSeconds?: number } = {}): Promise<PruneReport> {
    return this.call('POST', '/backups/prune', { dest, graceSeconds: params.graceSeconds, endpoint: params.endpoint, encryptionKey: params.encryptionKey });
  }
  verifyBackups(target: string, params: VerifyBackupsParams = {}, onProgress?: ProgressListener): Promise<VerifyReport> {
    return this.call('POST', '/backups/verify', { target, ...params }, onProgress);
  }
  initBackupStore(dest: string, params: BackupStoreParams = {}): Promise<{ masterKeyId: string }> {
    return this.call('POST', '/backups/init', { dest, ...params });
  }
  async listBackupKeys(dest: string, params: BackupStoreParams = {}): Promise<KeyInfo[]> {
    return (await this.call<{ keys: KeyInfo[] }>('POST', '/backups/keys/list', { dest, ...params })).keys;
  }
  addBackupKey(dest: string, params: AddBackupKeyParams): Promise<KeyInfo> {
    return this.call('POST', '/backups/keys/add', { dest, ...params });
  }
  async removeBackupKey(dest: string, keyId: string, params: BackupStoreParams = {}): Promise<void> {
    await this.call('POST', '/backups/keys/remove', { dest, keyId, ...params });
  }
  forgetBackups(dest: string, params: ForgetParams & { volumeName: string }): Promise<ForgetReport> {
    return this.call('POST', '/backups/forget', { dest, volumeName: params.volumeName, policy: params.policy, dryRun: params.dryRun, endpoint: params.endpoint });
  }
  forgetSnapshots(volumeName: string, params: Omit<ForgetParams, 'endpoint'>): Promise<SnapshotForgetReport> {
    return this.call('POST', '/snapshots/forget', { volume: volumeName, policy: params.policy, dryRun: params.dryRun });
  }
  async close(): Promise<void> {}
}
export { ScheduleClient } from './schedule-client.js';
