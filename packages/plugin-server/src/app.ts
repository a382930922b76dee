import { KeyedMutex, type Logger } from '@convoy/core';
import type { ScheduleService, StoreOperations, VolumeService } from '@convoy/volume-service';
import Fastify, { type FastifyInstance } from 'fastify';
import { API_PREFIX } from './api/route-table.js';
import { convoyApiRoutes } from './api/routes.js';
import { dockerPluginRoutes } from './docker-routes.js';
import { acceptJsonBodies } from './json-body.js';
import type { MountRefs } from './mount-refs.js';
import { OperationRegistry } from './operations.js';

export interface AppOptions {
  service: VolumeService;
  /** The operations on a backup store alone (list, inspect, delete, prune, forget, verify, keys). */
  stores: StoreOperations;
  /** The daemon's scheduler (`/v1/schedules/*`, `docker volume create -o schedule=...`). */
  schedules?: ScheduleService;
  refs: MountRefs;
  ignoreDockerDelete: boolean;
  createOnDockerMount: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  log: Logger;
}

/** Paths of Docker's plugin protocol, which answers unknown endpoints in its own error shape. */
const DOCKER_PATH = /^\/(Plugin|VolumeDriver)\./;

/** One fastify app serving both Docker's volume-plugin protocol and Convoy's API. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    // Reject what the schemas do not admit instead of quietly fixing it up.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    // A daemon shutting down must not wait for idle keep-alive connections.
    forceCloseConnections: 'idle',
    // GET routes read bodies (Go's protocol); a HEAD twin could not.
    exposeHeadRoutes: false,
  });
  // Go Convoy's client sends its requests' JSON bodies on GET too (inspect, backup list).
  app.addHttpMethod('GET', { hasBody: true });
  acceptJsonBodies(app);
  app.setNotFoundHandler((req, reply) => {
    const message = `no such endpoint: ${req.method} ${req.url}`;
    if (DOCKER_PATH.test(req.url)) return reply.code(404).send({ Err: message });
    if ((req.headers.accept ?? '').includes('json')) return reply.code(404).send({ code: 'NOT_FOUND', message });
    return reply.code(404).type('text/plain; charset=utf-8').send(`Handler not found: ${req.method} ${req.url}`);
  });
  app.addHook('onResponse', async (req, reply) => {
    opts.log.debug('request', { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });
  const perVolume = new KeyedMutex();
  await app.register(dockerPluginRoutes, { ...opts, perVolume });
  // Go Convoy served every route under /v1 and without the prefix.
  const operations = new OperationRegistry();
  const api = { ...opts, operations, dockerMounts: (volume: string) => opts.refs.holders(volume) };
  await app.register(convoyApiRoutes, { ...api, prefix: API_PREFIX });
  await app.register(convoyApiRoutes, api);
  return app;
}
