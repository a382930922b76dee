import type { ProgressListener } from '@convoy/core';
import { ConvoyError, type ConvoyErrorJSON } from '@convoy/core/lite';
import { API_PREFIX, NDJSON_TYPE, ROUTES, type RouteName, type RouteRequest, type RouteResponse } from './api/route-table.js';
import type { NdjsonLine, SummaryListener } from './ndjson.js';
import { DETACH_HEADER, OPERATION_HEADER } from './operations.js';
import { CutShortAnswer, MalformedAnswer, requestOverSocket } from './socket-http.js';

function isErrorJson(value: unknown): value is ConvoyErrorJSON {
  return (
    typeof value === 'object' && value !== null && typeof (value as ConvoyErrorJSON).code === 'string' && typeof (value as ConvoyErrorJSON).message === 'string'
  );
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

/** An answer that broke off or made no sense. */
function lost(socketPath: string, err: Error): ConvoyError {
  const what = err instanceof CutShortAnswer || err instanceof MalformedAnswer ? err.message : ((err as NodeJS.ErrnoException).code ?? err.message);
  return new ConvoyError('INTERNAL', `lost the connection to the convoy daemon at ${socketPath} while it answered: ${what}`, {
    details: { socket: socketPath },
    cause: err,
  });
}

/** How a call ends on the client's side when its session's signal aborts. */
function cancelled(operationId: string): ConvoyError {
  return new ConvoyError('CANCELLED', 'cancelled: this client closed its connection', { details: { operation: operationId } });
}

/** Settings of every call a client makes. */
export interface ClientSession {
  /** Aborting it closes the connection of the call under way, which cancels its operation in the daemon. */
  signal?: AbortSignal;
  /** The daemon finishes this client's operations even when the client goes away (Go Convoy's behaviour). */
  detach?: boolean;
}

/** How an answer's body is read: fed as it arrives, then told it ended. */
interface AnswerReader {
  data(chunk: Buffer): void;
  end(): void;
}

/** Reads an NDJSON answer: progress lines to the listener, then the result or the error. */
function ndjsonReader(
  onProgress: ProgressListener | undefined,
  onSummary: SummaryListener | undefined,
  resolve: (value: unknown) => void,
  reject: (err: unknown) => void,
): AnswerReader {
  let pending = '';
  let settled = false;
  const decoder = new TextDecoder();
  const handle = (text: string) => {
    if (text.trim() === '' || settled) return;
    let line: NdjsonLine;
    try {
      line = JSON.parse(text) as NdjsonLine;
    } catch {
      settled = true;
      reject(new ConvoyError('INTERNAL', `the convoy daemon sent a progress line that is not JSON: ${text.slice(0, 200)}`));
      return;
    }
    if ('progress' in line) onProgress?.(line.progress);
    else if ('summary' in line) onSummary?.(line.summary);
    else if ('result' in line) {
      settled = true;
      resolve(line.result);
    } else if ('error' in line) {
      settled = true;
      reject(ConvoyError.fromJSON(line.error));
    }
  };
  return {
    data(chunk) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    end() {
      handle(pending + decoder.decode());
      if (!settled) reject(new ConvoyError('INTERNAL', 'the convoy daemon closed the connection before the operation finished (did it stop?)'));
    },
  };
}

function jsonReader(status: number, contentType: string, resolve: (value: unknown) => void, reject: (err: unknown) => void): AnswerReader {
  const chunks: Buffer[] = [];
  return {
    data: (chunk) => chunks.push(chunk),
    end() {
      const text = Buffer.concat(chunks).toString('utf8');
      const isJson = contentType.startsWith('application/json');
      if (status === 200 && !isJson) {
        // Go's bare answers: a name, a mountpoint, a URL, or nothing.
        resolve(text === '' ? undefined : text);
        return;
      }
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        reject(new ConvoyError('INTERNAL', `the convoy daemon answered HTTP ${status} with something that is not JSON: ${text.slice(0, 200)}`));
        return;
      }
      if (status === 200) resolve(body);
      else if (isErrorJson(body)) reject(ConvoyError.fromJSON(body));
      else reject(new ConvoyError('INTERNAL', `the convoy daemon answered HTTP ${status}: ${text.slice(0, 200)}`));
    },
  };
}

/**
 * Convoy's API seen from the client side: one typed call per route of the route table, over the
 * daemon's unix socket. Failures arrive as the daemon's ConvoyErrors. This module loads nothing
 * heavy (no engine, no drivers), so a CLI command that only talks to the daemon starts fast.
 */
export class ConvoyClient {
  /** The id (OPERATION_HEADER) of the call under way, to ask the daemon how it ended. */
  currentOperation: { id: string; route: RouteName } | undefined;

  constructor(
    readonly socketPath: string,
    private readonly session: ClientSession = {},
  ) {}

  /**
   * Calls `route` with `body`. With `onProgress` the daemon streams progress lines (NDJSON)
   * while a long operation runs, and `onSummary` hears what it stored. `query` adds URL parameters (Go's `list ?driver=1`).
   */
  call<K extends RouteName>(
    route: K,
    body: RouteRequest<K>,
    opts: { onProgress?: ProgressListener; onSummary?: SummaryListener; query?: string } = {},
  ): Promise<RouteResponse<K>> {
    const { method, path } = ROUTES[route];
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const onProgress = opts.onProgress;
    const operationId = globalThis.crypto.randomUUID();
    this.currentOperation = { id: operationId, route };
    const signal = this.session.signal;
    return new Promise<RouteResponse<K>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelled(operationId));
        return;
      }
      let reader: AnswerReader | undefined;
      const answered = (value: unknown) => resolve(value as RouteResponse<K>);
      let settled = false;
      // The first outcome stands; whatever comes after (a late line, the connection closing) is
      // dropped, and the connection closes.
      const settle =
        <T>(to: (value: T) => void) =>
        (value: T) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', giveUp);
          request.destroy();
          to(value);
        };
      const request = requestOverSocket(
        this.socketPath,
        {
          method,
          path: API_PREFIX + path + (opts.query ? `?${opts.query}` : ''),
          headers: {
            [OPERATION_HEADER]: operationId,
            ...(this.session.detach ? { [DETACH_HEADER]: '1' } : {}),
            accept: onProgress ? `${NDJSON_TYPE}, application/json` : 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(payload === undefined ? {} : { body: payload }),
        },
        {
          onHead(status, headers) {
            const contentType = headers.get('content-type') ?? '';
            reader = contentType.startsWith(NDJSON_TYPE)
              ? ndjsonReader(onProgress, opts.onSummary, settle(answered), settle(reject))
              : jsonReader(status, contentType, settle(answered), settle(reject));
          },
          onData: (chunk) => reader?.data(chunk),
          onEnd: () => reader?.end(),
          onError: (err, phase) => settle(reject)(phase === 'connect' ? unreachable(this.socketPath, err) : lost(this.socketPath, err)),
        },
      );
      // Closing the connection is how a client cancels (unless detached): the daemon stops the operation.
      const giveUp = () => settle(reject)(cancelled(operationId));
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }
}

export type * from './api/go-types.js';
export type { RouteName, RouteRequest, RouteResponse } from './api/route-table.js';
export type { OperationSummary, SummaryListener } from './ndjson.js';
export type { OperationOutcome } from './operations.js';
