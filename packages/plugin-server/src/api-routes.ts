import type { FastifyInstance } from 'fastify';
import { parseSize, type CompressionMethod, type CreateVolumeParams, type Logger, type ProgressListener, type VolumeService } from '@convoy/core';
import * as schema from './api-schemas.js';
import { NDJSON_TYPE, streamNdjson, wantsNdjson } from './ndjson.js';
import { classifyRequestError } from './request-errors.js';

/** Every route of Convoy's API, under this prefix. */
export const API_PREFIX = '/v1';

// Bodies as the schemas in api-schemas.ts admit them.
type Body = Record<string, unknown> & { endpoint?: string };
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const storeParams = (b: Body) => (b.endpoint === undefined ? {} : { endpoint: b.endpoint });
/** A void operation answers `{}`. */
const answerEmpty = async (operation: Promise<void>) => {
  await operation;
  return {};
};

interface ApiRoute {
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
      const req = {
        snapshot: String(b.snapshot),
        dest: String(b.dest),
        ...storeParams(b),
        ...(b.compression === undefined ? {} : { compression: b.compression as CompressionMethod }),
        ...(b.blockSize === undefined ? {} : { blockSize: Number(b.blockSize) }),
      };
      return s.createBackup(req, p);
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
];

export interface ConvoyApiOptions {
  service: VolumeService;
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

  for (const route of API_ROUTES) {
    app.route({
      method: route.method,
      url: route.path,
      ...(route.body ? { schema: { body: route.body } } : {}),
      handler: async (req, reply) => {
        const body = (req.body ?? {}) as Body;
        if (!wantsNdjson(req.headers.accept)) return route.run(opts.service, body, () => undefined);
        reply.type(NDJSON_TYPE).send(
          streamNdjson(
            (onProgress) => route.run(opts.service, body, onProgress),
            (err) => classifyRequestError(err, opts.bodyLimit).error,
          ),
        );
        return reply;
      },
    });
  }
}
