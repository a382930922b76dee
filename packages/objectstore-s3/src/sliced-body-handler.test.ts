import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { BODY_SLICE_BYTES, SlicedBodyHttpHandler } from './sliced-body-handler.js';

const MiB = 1024 * 1024;

/**
 * A real server on 127.0.0.1 that hashes each request body, and for every chunk it receives
 * notes how many bytes the client's socket still holds queued (writableLength). Over TLS every
 * queued byte is a sealed copy of the body, so that count is the copy's size.
 */
const received: { sha256: string; bytes: number }[] = [];
let mostQueued = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const clientQueued = () =>
  Object.values(agent.sockets)
    .flat()
    .reduce((most, socket) => Math.max(most, socket?.writableLength ?? 0), 0);
const server = http.createServer((req, res) => {
  const hash = createHash('sha256');
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    mostQueued = Math.max(mostQueued, clientQueued());
    hash.update(chunk);
    bytes += chunk.length;
  });
  req.on('end', () => {
    received.push({ sha256: hash.digest('hex'), bytes });
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const handler = new SlicedBodyHttpHandler({ httpAgent: agent });

afterAll(async () => {
  handler.destroy();
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function put(body: Buffer) {
  const request = {
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    method: 'PUT',
    path: '/bucket/key',
    query: {},
    headers: { 'content-length': String(body.length) },
    body,
  };
  return { request, sent: send(request) };
}

/** Sends and drains the answer, so the kept-alive socket is free for the next request. */
async function send(request: object) {
  const answer = await handler.handle(request as never);
  (answer.response.body as NodeJS.ReadableStream).resume();
  return answer;
}

describe('SlicedBodyHttpHandler', () => {
  it('hands a 16 MiB body to the socket a slice at a time, and the server gets every byte', async () => {
    const body = randomBytes(16 * MiB);
    mostQueued = 0;
    received.length = 0;
    const { sent } = put(body);
    expect((await sent).response.statusCode).toBe(200);
    expect(received).toEqual([{ sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length }]);
    // A slice, and what the socket took of the slice before it (its 16 KiB high-water mark).
    expect(mostQueued).toBeGreaterThan(0);
    expect(mostQueued).toBeLessThanOrEqual(BODY_SLICE_BYTES + 64 * 1024);
  });

  it('leaves the request its Buffer, so a retry of the same request sends the whole body again', async () => {
    const body = randomBytes(3 * MiB);
    received.length = 0;
    const { request, sent } = put(body);
    await sent;
    expect(request.body).toBe(body);
    await send(request);
    const digest = createHash('sha256').update(body).digest('hex');
    expect(received).toEqual([
      { sha256: digest, bytes: body.length },
      { sha256: digest, bytes: body.length },
    ]);
  });

  it('sends a body of one slice or less, and an empty one, as it is', async () => {
    received.length = 0;
    const small = randomBytes(BODY_SLICE_BYTES);
    await put(small).sent;
    await put(Buffer.alloc(0)).sent;
    expect(received.map((r) => r.bytes)).toEqual([BODY_SLICE_BYTES, 0]);
  });
});
