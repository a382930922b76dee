import type { FastifyInstance } from 'fastify';
import { parseSize, type CompressionMethod, type EncryptionKeyParam, type CreateVolumeParams, type Logger, type ProgressListener, type ScheduleService, type VolumeService } from '@convoy/core';
import * as schema from './api-schemas.js';
import { NDJSON_TYPE, streamNdjson, wantsNdjson } from './ndjson.js';
import { classifyRequestError } from './request-errors.js';
import { RETENTION_ROUTES } from './retention-routes.js';
import { noScheduler, SCHEDULE_ROUTES } from './schedule-routes.js';

/** Every route of Convoy's API, under this prefix. */
export const API_PREFIX = '/v1';

// Bodies as the schemas in api-schemas.ts admit them.
export type Body = Record<string, unknown> & { endpoint?: string; encryptionKey?: EncryptionKeyParam };
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** The store settings a body carries: the endpoint and the caller's key for an encrypted store. */
export const storeParams = (b: Body) => ({
  ...(b.endpoint === undefined ? {} : { endpoint: b.endpoint }),
  ...(b.encryptionKey === undefined ? {} : { encryptionKey: b.encryptionKey }),
});
/** A void operation answers `{}`. */
const answerEmpty = async (operation: Promise<void>) => {
  await operation;
  return {};
};

export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  body?: object;
  run(service: VolumeService, body: Body, onProgress: ProgressListener): Promise<unknown>;
}

/** A size as the schemas admit it: bytes, or a string such as `10g`. */
const bytesOf = (size: unknown): number => (typeof size === 'string' ? parseSize(size) : Number(size));

function createParams(b: Body): CreateVolumeParams {
  const params: CreateVolumeParams = {};
  if (b.name !== undefined) params.name = String(b.name);
  if (b.driver !== undefined) params.driver = String(b.driver);
  if (b.size !== undefined) params.size = bytesOf(b.size);
  if (b.backupUrl !== undefined) params.backupUrl = String(b.backupUrl);
  if (b.endpoint !== undefined) params.endpoint = b.endpoint;
  if (b.options !== undefined) params.options = b.options as Record<string, string>;
  if (b.encryptionKey !== undefined) params.encryptionKey = b.encryptionKey;
  return params;
}

/**
 * The routes, RPC style: POST `/v1/<noun>/<verb>` with a JSON body; reads without arguments are
 * GETs. A void operation answers `{}`.
 */
export const API_ROUTES: ApiRoute[] = [
  { method: 'GET', path: '/info', run: (s) => s.info() },
  { method: 'GET', path: '/volumes/list', run: async (s) => ({ volumes: await s.listVolumes() }) },
  { method: 'POST', path: '/volumes/create', body: schema.volumeCreateBody, run: (s, b, p) => s.createVolume(createParams(b), p) },
  {
    method: 'POST',
    path: '/volumes/delete',
    body: schema.volumeDeleteBody,
    run: (s, b) => answerEmpty(s.deleteVolume(String(b.name), { referenceOnly: b.referenceOnly === true })),
  },
  {
    method: 'POST',
    path: '/volumes/mount',
    body: schema.volumeMountBody,
    run: async (s, b) => {
      const mountpoint = await s.mountVolume(String(b.name), b.mountpoint === undefined ? {} : { mountpoint: String(b.mountpoint) });
      return { name: b.name, mountpoint };
    },
  },
  { method: 'POST', path: '/volumes/umount', body: schema.volumeNameBody, run: (s, b) => answerEmpty(s.umountVolume(String(b.name))) },
  { method: 'POST', path: '/volumes/resize', body: schema.volumeResizeBody, run: (s, b) => s.resizeVolume(String(b.name), bytesOf(b.size)) },
  { method: 'POST', path: '/volumes/inspect', body: schema.volumeNameBody, run: (s, b) => s.getVolume(String(b.name)) },
  { method: 'POST', path: '/snapshots/create', body: schema.snapshotCreateBody, run: (s, b) => s.createSnapshot(String(b.volume), str(b.name)) },
  { method: 'POST', path: '/snapshots/delete', body: schema.snapshotNameBody, run: (s, b) => answerEmpty(s.deleteSnapshot(String(b.name))) },
  { method: 'POST', path: '/snapshots/inspect', body: schema.snapshotNameBody, run: (s, b) => s.getSnapshot(String(b.name)) },
  {
    method: 'POST',
    path: '/backups/create',
    body: schema.backupCreateBody,
    run: (s, b, p) => {
      const req = { snapshot: String(b.snapshot), dest: String(b.dest), ...storeParams(b), ...(b.encrypt === true ? { encrypt: true } : {}) };
      return s.createBackup(b.compression === undefined ? req : { ...req, compression: b.compression as CompressionMethod }, p);
    },
  },
  { method: 'POST', path: '/backups/delete', body: schema.backupUrlBody, run: (s, b) => answerEmpty(s.deleteBackup(String(b.url), storeParams(b))) },
  {
    method: 'POST',
    path: '/backups/list',
    body: schema.backupListBody,
    run: async (s, b) => ({
      backups: await s.listBackups(String(b.dest), b.volumeName === undefined ? storeParams(b) : { ...storeParams(b), volumeName: String(b.volumeName) }),
    }),
  },
  { method: 'POST', path: '/backups/inspect', body: schema.backupUrlBody, run: (s, b) => s.inspectBackup(String(b.url), storeParams(b)) },
  {
    method: 'POST',
    path: '/backups/prune',
    body: schema.backupPruneBody,
    run: (s, b) => s.pruneBackups(String(b.dest), b.graceSeconds === undefined ? storeParams(b) : { ...storeParams(b), graceSeconds: Number(b.graceSeconds) }),
  },
  {
    method: 'POST',
    path: '/backups/verify',
    body: schema.backupVerifyBody,
    run: (s, b, p) =>
      s.verifyBackups(
        String(b.target),
        {
          ...storeParams(b),
          ...(b.volumeName === undefined ? {} : { volumeName: String(b.volumeName) }),
          ...(b.deep === undefined ? {} : { deep: b.deep === true }),
          ...(b.sample === undefined ? {} : { sample: Number(b.sample) }),
        },
        p,
      ),
  },
  { method: 'POST', path: '/backups/init', body: schema.backupStoreBody, run: (s, b) => s.initBackupStore(String(b.dest), storeParams(b)) },
  { method: 'POST', path: '/backups/keys/list', body: schema.backupStoreBody, run: async (s, b) => ({ keys: await s.listBackupKeys(String(b.dest), storeParams(b)) }) },
  {
    method: 'POST',
    path: '/backups/keys/add',
    body: schema.backupKeyAddBody,
    run: (s, b) =>
      s.addBackupKey(String(b.dest), { ...storeParams(b), newKey: b.newKey as EncryptionKeyParam, ...(b.label === undefined ? {} : { label: String(b.label) }) }),
  },
  { method: 'POST', path: '/backups/keys/remove', body: schema.backupKeyRemoveBody, run: (s, b) => answerEmpty(s.removeBackupKey(String(b.dest), String(b.keyId), storeParams(b))) },
  ...RETENTION_ROUTES,
];

export interface ConvoyApiOptions {
  service: VolumeService;
  /** The daemon's scheduler; without one the schedule routes answer NOT_SUPPORTED. */
  schedules?: ScheduleService;
  bodyLimit: number;
  log: Logger;
}

/**
 * Convoy's own API for the CLI. Errors are `{code, message, details}` with an HTTP status by
 * code. A client that accepts `application/x-ndjson` gets progress lines while the operation
 * runs, then one line with `result` or `error`.
 */
export async function convoyApiRoutes(app: FastifyInstance, opts: ConvoyApiOptions): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const { error, status } = classifyRequestError(err, opts.bodyLimit);
    if (status >= 500) opts.log.error('request failed', { url: req.url, code: error.code, error: error.message });
    return reply.code(status).send(error.toJSON());
  });

  const routes = [
    ...API_ROUTES.map((route) => ({ ...route, run: (b: Body, p: ProgressListener) => route.run(opts.service, b, p) })),
    ...SCHEDULE_ROUTES.map((route) => ({ ...route, run: (b: Body) => route.run(opts.schedules ?? noScheduler, b) })),
  ];
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      ...(route.body ? { schema: { body: route.body } } : {}),
      handler: async (req, reply) => {
        const body = (req.body ?? {}) as Body;
        if (!wantsNdjson(req.headers.accept)) return route.run(body, () => undefined);
        reply.type(NDJSON_TYPE).send(
          streamNdjson(
            (onProgress) => route.run(body, onProgress),
            (err) => classifyRequestError(err, opts.bodyLimit).error,
          ),
        );
        return reply;
      },
    });
  }
}
