import type { Logger } from '@convoy/core';
import type { ScheduleService, StoreOperations, VolumeService } from '@convoy/volume-service';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { streamNdjson, wantsNdjson } from '../ndjson.js';
import { cancelOnClose, OPERATION_HEADER, type OperationRegistry } from '../operations.js';
import { classifyRequestError } from '../request-errors.js';
import { HANDLERS, type HandlerContext, noScheduler } from './handlers.js';
import { NDJSON_TYPE, ROUTES, type RouteName } from './route-table.js';

/** The API version Go's client announces in its User-Agent (`Convoy-Client/1`). */
const API_VERSION = '1';

export interface ConvoyApiOptions {
  service: VolumeService;
  /** The operations on a backup store alone (list, inspect, delete, prune, forget, verify, keys). */
  stores: StoreOperations;
  /** The daemon's scheduler; without one the schedule routes answer NOT_SUPPORTED. */
  schedules?: ScheduleService;
  bodyLimit: number;
  log: Logger;
  /** The Docker mount IDs holding a volume (the plugin's mount table), for errors that name them. */
  dockerMounts?: (volume: string) => ReadonlySet<string>;
  /** Long requests by their client's id, shared by the prefixed and unprefixed routes. */
  operations: OperationRegistry;
}

const NO_MOUNTS: ReadonlySet<string> = new Set();

/** Convoy's typed errors go to clients that ask for JSON; everyone else (Go's client) gets Go's plain-text body. */
function wantsJsonErrors(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') || wantsNdjson(accept);
}

/** Answers a route's result as Go did: JSON, a bare string, or an empty body. */
function sendResult(reply: FastifyReply, result: unknown): FastifyReply {
  if (result === undefined) return reply.type('text/plain; charset=utf-8').send('');
  if (typeof result === 'string') return reply.type('text/plain; charset=utf-8').send(result);
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(result, null, '\t'));
}

/**
 * Go Convoy's `/v1` API (route-table.ts). Errors carry an HTTP status by code; their body is
 * `{code, message, details}` for a client that accepts JSON, else the message as text, as Go's
 * `http.Error` wrote it. A client that accepts `application/x-ndjson` gets progress lines while
 * the operation runs, then one line with `result` or `error`.
 */
export async function convoyApiRoutes(app: FastifyInstance, opts: ConvoyApiOptions): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const { error, status } = classifyRequestError(err, opts.bodyLimit);
    if (status >= 500) opts.log.error('request failed', { url: req.url, code: error.code, error: error.message });
    reply.code(status);
    return wantsJsonErrors(req) ? reply.send(error.toJSON()) : reply.type('text/plain; charset=utf-8').send(`${error.message}\n`);
  });
  app.addHook('onRequest', async (req, reply) => {
    const agent = /^Convoy-Client\/(.*)$/.exec(req.headers['user-agent'] ?? '');
    if (agent && agent[1] !== API_VERSION) {
      await reply.code(404).type('text/plain; charset=utf-8').send(`client version ${agent[1]} doesn't match with server ${API_VERSION}\n`);
    }
  });

  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const route = ROUTES[name];
    const run = HANDLERS[name] as (body: unknown, ctx: HandlerContext) => Promise<unknown>;
    app.route({
      method: route.method,
      url: route.path,
      ...('body' in route ? { schema: { body: route.body } } : {}),
      handler: async (req, reply) => {
        const signal = cancelOnClose(req.headers, reply.raw);
        const operationId = req.headers[OPERATION_HEADER];
        const start = (onProgress: HandlerContext['onProgress'], onSummary: HandlerContext['onSummary']) => {
          const work = run(req.body, {
            service: opts.service,
            stores: opts.stores,
            schedules: opts.schedules ?? noScheduler,
            onProgress,
            onSummary,
            signal,
            operations: opts.operations,
            query: req.query as HandlerContext['query'],
            dockerMounts: opts.dockerMounts ?? (() => NO_MOUNTS),
          });
          if (typeof operationId === 'string' && operationId !== '') opts.operations.track(operationId, work);
          return work;
        };
        const ignore = () => undefined;
        if (!wantsNdjson(req.headers.accept)) return sendResult(reply, await start(ignore, ignore));
        return reply.type(NDJSON_TYPE).send(streamNdjson(start, (err) => classifyRequestError(err, opts.bodyLimit).error));
      },
    });
  }
}
