import net from 'node:net';
import path from 'node:path';
import { isConvoyError, type Progress } from '@convoy/core';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { ConvoyClient } from './client.js';

/**
 * The client's HTTP over the daemon's socket (socket-http.ts), against servers that answer
 * exactly as each case needs, byte by byte: chunked and Content-Length bodies split anywhere,
 * answers cut short, servers that stall or are not HTTP. The well-behaved cases against the
 * real server are in convoy-api.test.ts and api-hints.test.ts.
 */
const freshDir = await tempDirFactory('convoy-client-wire-');

interface Received {
  head: string;
  body: string;
  /** Whether the client half-closed its side before the answer (it must not: that cancels). */
  endedEarly: boolean;
}

/** A server on a fresh socket that reads one request and lets `answer` reply on the raw socket. */
async function rawServer(
  answer: (socket: net.Socket, request: Received) => void,
): Promise<{ socket: string; requests: Received[]; clientLeft: Promise<void>; stop(): Promise<void> }> {
  const socketPath = path.join(await freshDir(), 's.sock');
  const requests: Received[] = [];
  const sockets = new Set<net.Socket>();
  let onLeft: () => void = () => undefined;
  const clientLeft = new Promise<void>((resolve) => (onLeft = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    let bytes = Buffer.alloc(0);
    const received: Received = { head: '', body: '', endedEarly: false };
    let answered = false;
    socket.on('end', () => {
      received.endedEarly = !answered;
      onLeft();
    });
    socket.on('close', onLeft);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const at = bytes.indexOf('\r\n\r\n');
      if (at < 0 || answered) return;
      const head = bytes.subarray(0, at).toString();
      const length = Number(/^content-length: (\d+)$/im.exec(head)?.[1] ?? 0);
      if (bytes.length - at - 4 < length) return;
      received.head = head;
      received.body = bytes.subarray(at + 4, at + 4 + length).toString();
      answered = true;
      requests.push(received);
      answer(socket, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { socket: socketPath, requests, clientLeft, stop };
}

/** Writes `bytes` one at a time, each in its own write, then leaves the socket as `then` says. */
function byteByByte(socket: net.Socket, bytes: Buffer, then: 'end' | 'destroy' | 'keep'): void {
  let i = 0;
  const next = () => {
    if (i < bytes.length) {
      socket.write(bytes.subarray(i, ++i), next);
      return;
    }
    if (then === 'end') socket.end();
    else if (then === 'destroy') socket.destroy();
  };
  next();
}

const chunk = (part: Buffer | string, extension = '') =>
  Buffer.concat([Buffer.from(`${Buffer.byteLength(part).toString(16)}${extension}\r\n`), Buffer.from(part), Buffer.from('\r\n')]);
const chunked = (...parts: string[]) => parts.map((p) => chunk(p).toString()).join('');
const head = (status: string, headers: string[]) => `HTTP/1.1 ${status}\r\n${headers.join('\r\n')}\r\n\r\n`;

async function failure(call: Promise<unknown>): Promise<Error> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('the call succeeded');
  return err;
}

describe('the client over the socket', () => {
  it('sends one well-formed request and keeps its side open until the answer', async () => {
    const server = await rawServer((socket) => socket.end(head('200 OK', ['content-type: application/json', 'content-length: 2']) + '{}'));
    await new ConvoyClient(server.socket).call('createVolume', { Name: 'vé1' });
    const [request] = server.requests;
    expect(request!.head).toMatch(/^POST \/v1\/volumes\/create HTTP\/1\.1\r\n/);
    expect(request!.head).toMatch(/^content-type: application\/json$/im);
    expect(request!.head).toMatch(/^x-convoy-operation: [0-9a-f-]{36}$/im);
    expect(JSON.parse(request!.body)).toEqual({ Name: 'vé1' });
    expect(request!.endedEarly).toBe(false);
    await server.stop();
  });

  it('reads a chunked NDJSON answer that arrives one byte at a time (progress, a split UTF-8 character, an extension and a trailer)', async () => {
    const progress: Progress = { phase: 'backup', doneBytes: 1, totalBytes: 2 };
    const e = Buffer.from('\u00e9');
    const answer = Buffer.concat([
      Buffer.from(head('200 OK', ['content-type: application/x-ndjson', 'transfer-encoding: chunked'])),
      chunk(JSON.stringify({ progress }) + '\n{"summary":{"storedBytes":'),
      chunk(Buffer.concat([Buffer.from('7}}\n{"result":"vfs:///s?backup=b'), e.subarray(0, 1)])),
      chunk(Buffer.concat([e.subarray(1), Buffer.from('"}\n')]), ';ext=1'),
      Buffer.from('0\r\nx-trailer: 1\r\n\r\n'),
    ]);
    const server = await rawServer((socket) => byteByByte(socket, answer, 'keep'));
    const seen: Progress[] = [];
    const stored: number[] = [];
    const result = await new ConvoyClient(server.socket).call(
      'createBackup',
      { SnapshotName: 's1', URL: 'vfs:///s' },
      { onProgress: (p) => seen.push(p), onSummary: (s) => stored.push(s.storedBytes) },
    );
    expect(result).toBe('vfs:///s?backup=b\u00e9');
    expect(seen).toEqual([progress]);
    expect(stored).toEqual([7]);
    await server.stop();
  });

  it('reads a Content-Length answer split anywhere, and a bare answer framed by the connection closing', async () => {
    const json = JSON.stringify({ v1: { Name: 'v1' } });
    const framed = await rawServer((socket) =>
      byteByByte(socket, Buffer.from(head('200 OK', ['content-type: application/json; charset=utf-8', `content-length: ${json.length}`]) + json), 'keep'),
    );
    expect(await new ConvoyClient(framed.socket).call('listVolumes', undefined)).toEqual({ v1: { Name: 'v1' } });
    const bare = await rawServer((socket) => byteByByte(socket, Buffer.from(head('200 OK', ['content-type: text/plain']) + '/mnt/v1'), 'end'));
    expect(await new ConvoyClient(bare.socket).call('mountVolume', { VolumeName: 'v1' })).toBe('/mnt/v1');
    await Promise.all([framed.stop(), bare.stop()]);
  });

  it("passes the daemon's typed error on", async () => {
    const error = JSON.stringify({ code: 'NOT_FOUND', message: 'volume v9 does not exist' });
    const server = await rawServer((socket) =>
      socket.end(head('404 Not Found', ['content-type: application/json', `content-length: ${error.length}`]) + error),
    );
    const err = await failure(new ConvoyClient(server.socket).call('inspectVolume', { VolumeName: 'v9' }));
    expect(isConvoyError(err, 'NOT_FOUND')).toBe(true);
    expect(err.message).toBe('volume v9 does not exist');
    await server.stop();
  });

  it('refuses an answer cut short: Content-Length not reached, chunked without its last chunk', async () => {
    const byLength = await rawServer((socket) =>
      byteByByte(socket, Buffer.from(head('200 OK', ['content-type: application/json', 'content-length: 40']) + '{"v1":{"Na'), 'end'),
    );
    const err = await failure(new ConvoyClient(byLength.socket).call('listVolumes', undefined));
    expect(isConvoyError(err, 'INTERNAL')).toBe(true);
    expect(err.message).toMatch(/^lost the connection to the convoy daemon at .* while it answered: the connection closed before the whole answer arrived$/);
    const byChunks = await rawServer((socket) =>
      byteByByte(
        socket,
        Buffer.from(head('200 OK', ['content-type: application/json', 'transfer-encoding: chunked']) + chunked('{"v1":') + '10\r\n{"Na'),
        'destroy',
      ),
    );
    expect((await failure(new ConvoyClient(byChunks.socket).call('listVolumes', undefined))).message).toMatch(/while it answered/);
    await Promise.all([byLength.stop(), byChunks.stop()]);
  });

  it('refuses what is not HTTP, a malformed chunk size, a Content-Length that is no number and an endless head', async () => {
    const answers = [
      ['SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP answer: "SSH-2.0-OpenSSH"/],
      [head('200 OK', ['transfer-encoding: chunked']) + 'zz\r\n', /a chunk size that is not hexadecimal: "zz"/],
      [head('200 OK', ['content-length: -5']) + '{}', /a Content-Length that is not a byte count: "-5"/],
      [head('200 OK', ['content-length: 99999999999999999999']) + '{}', /a Content-Length that is not a byte count/],
      [head('200 OK', ['transfer-encoding: chunked']) + '2\r\n{}XX0\r\n\r\n', /a chunk longer than its size/],
      ['HTTP/1.1 200 OK\r\nx: ' + 'a'.repeat(70 * 1024), /an answer head longer than 65536 bytes/],
    ] as const;
    for (const [answer, message] of answers) {
      const server = await rawServer((socket) => socket.write(answer));
      const err = await failure(new ConvoyClient(server.socket).call('listVolumes', undefined));
      expect(isConvoyError(err, 'INTERNAL'), String(err)).toBe(true);
      expect(err.message).toMatch(message);
      await server.stop();
    }
  });

  it('gives up on a server that stalls when its signal aborts, and closes the connection (which cancels in the daemon)', async () => {
    const server = await rawServer((socket) =>
      socket.write(
        head('200 OK', ['content-type: application/x-ndjson', 'transfer-encoding: chunked']) +
          chunked('{"progress":{"phase":"backup","doneBytes":0,"totalBytes":9}}\n'),
      ),
    );
    const abort = new AbortController();
    const call = new ConvoyClient(server.socket, { signal: abort.signal }).call(
      'createBackup',
      { SnapshotName: 's1', URL: 'vfs:///s' },
      { onProgress: () => abort.abort() },
    );
    const err = await failure(call);
    expect(isConvoyError(err, 'CANCELLED')).toBe(true);
    await server.clientLeft;
    await server.stop();
  });

  it('says the daemon is not there: no socket, or a connection closed before any answer', async () => {
    const missing = path.join(await freshDir(), 'none.sock');
    const err = await failure(new ConvoyClient(missing).call('info', undefined));
    expect(err.message).toBe(`cannot reach the convoy daemon at ${missing}: is \`convoy daemon\` running? (ENOENT)`);
    const hangsUp = await rawServer((socket) => socket.end());
    expect((await failure(new ConvoyClient(hangsUp.socket).call('info', undefined))).message).toMatch(
      /^lost the connection to the convoy daemon at .*: the connection closed with no answer$/,
    );
    await hangsUp.stop();
  });
});
