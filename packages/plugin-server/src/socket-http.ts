import net from 'node:net';

/**
 * One HTTP/1.1 request over a unix socket, read back as it arrives: what the CLI needs to talk
 * to its daemon, and no more. It replaces node:http in the client because a CLI command loads
 * and runs it at every start, where node:http (its parser binding, agent, outgoing and incoming
 * message classes) cost more than the call, and cannot sit in the release executable's startup
 * snapshot. It sends `Connection: close` and reads one answer whose body is framed by
 * Content-Length, by chunked transfer coding, or by the end of the connection; an answer cut
 * short, a malformed one or an over-long head is an error, never a truncated body.
 */

export interface SocketRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Where a failure happened: before any answer (the daemon is not there), or while reading it. */
export type SocketHttpPhase = 'connect' | 'answer';

export interface SocketResponseHandlers {
  /** The status and headers (names in lower case). */
  onHead(status: number, headers: ReadonlyMap<string, string>): void;
  onData(chunk: Buffer): void;
  /** The whole body arrived. */
  onEnd(): void;
  /** Called at most once, and never after onEnd. */
  onError(err: Error, phase: SocketHttpPhase): void;
}

/** A response head longer than this is refused: the daemon's are a few hundred bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line longer than this is refused. */
const MAX_CHUNK_LINE = 1024;
const CRLF = '\r\n';

export class MalformedAnswer extends Error {}
export class CutShortAnswer extends Error {}

type BodyState =
  | { mode: 'length'; remaining: number }
  | { mode: 'chunked'; step: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number }
  | { mode: 'close' };

/** Sends `request` on a new connection to `socketPath`; returns how to give up (closes the connection, and no handler is called after). */
export function requestOverSocket(socketPath: string, request: SocketRequest, on: SocketResponseHandlers): { destroy(): void } {
  const socket = net.connect(socketPath);
  let finished = false;
  let answered = false;
  let head: Buffer | undefined = Buffer.alloc(0);
  let pending: Buffer = Buffer.alloc(0);
  let body: BodyState | undefined;

  const fail = (err: Error) => {
    if (finished) return;
    finished = true;
    socket.destroy();
    on.onError(err, answered ? 'answer' : 'connect');
  };
  const end = () => {
    if (finished) return;
    finished = true;
    socket.destroy();
    on.onEnd();
  };

  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'host: localhost', 'connection: close'];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(request.body)}`);
  // Written, never ended: the daemon takes a connection closed by its client (even half-closed)
  // as the client going away, which cancels the operation.
  socket.write(lines.join(CRLF) + CRLF + CRLF + (request.body ?? ''));
  const malformed = (text: string): undefined => void fail(new MalformedAnswer(text));

  const readHead = (chunk: Buffer): Buffer | undefined => {
    head = head ? Buffer.concat([head, chunk]) : chunk;
    const at = head.indexOf(CRLF + CRLF);
    if (at < 0) {
      return head.length > MAX_HEAD_BYTES ? malformed(`an answer head longer than ${MAX_HEAD_BYTES} bytes`) : undefined;
    }
    const [statusLine = '', ...headerLines] = head.subarray(0, at).toString('latin1').split(CRLF);
    const rest = head.subarray(at + 4);
    head = undefined;
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (!status) return malformed(`not an HTTP answer: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) return malformed(`a malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = headers.get('content-length');
    if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) body = { mode: 'chunked', step: 'size', remaining: 0 };
    else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) return malformed(`a Content-Length that is not a byte count: ${JSON.stringify(length.slice(0, 40))}`);
      body = { mode: 'length', remaining: Number(length) };
    } else body = { mode: 'close' };
    on.onHead(Number(status[1]), headers);
    return rest;
  };

  /** Hands on up to `wanted` bytes of `pending`; returns how many it handed on. */
  const pass = (wanted: number): number => {
    const take = pending.subarray(0, wanted);
    pending = pending.subarray(take.length);
    if (take.length > 0) on.onData(take);
    return take.length;
  };

  /** Hands on what `pending` holds of the body; true once the body is complete. */
  const readBody = (state: BodyState): boolean => {
    if (state.mode === 'close') {
      pass(pending.length);
      return false;
    }
    if (state.mode === 'length') {
      state.remaining -= pass(state.remaining);
      return state.remaining === 0;
    }
    // Until the body ends or `pending` runs out, unless a handler gave up on the answer meanwhile.
    while (!finished) {
      if (state.step === 'data') {
        state.remaining -= pass(state.remaining);
        if (state.remaining > 0) return false;
        state.step = 'data-end';
      }
      const eol = pending.indexOf(CRLF);
      if (eol < 0) {
        if (pending.length > MAX_CHUNK_LINE) malformed('a chunk line that never ends');
        return false;
      }
      const line = pending.subarray(0, eol).toString('latin1');
      pending = pending.subarray(eol + 2);
      if (state.step === 'data-end') {
        if (line !== '') {
          malformed('a chunk longer than its size');
          return false;
        }
        state.step = 'size';
      } else if (state.step === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!size) {
          malformed(`a chunk size that is not hexadecimal: ${JSON.stringify(line.slice(0, 40))}`);
          return false;
        }
        state.remaining = parseInt(size[1]!, 16);
        state.step = state.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') return true; // the empty line after the trailers
    }
    return false;
  };

  socket.on('data', (chunk: Buffer) => {
    if (finished) return;
    answered = true;
    if (!body) {
      const rest = readHead(chunk);
      if (rest === undefined || finished) return;
      chunk = rest;
    }
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (readBody(body!)) end();
  });
  socket.on('end', () => {
    if (body?.mode === 'close') end();
    else
      fail(answered ? new CutShortAnswer('the connection closed before the whole answer arrived') : new CutShortAnswer('the connection closed with no answer'));
  });
  socket.on('error', fail);
  return {
    destroy() {
      finished = true;
      socket.destroy();
    },
  };
}
