import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ConvoyError, isConvoyError, type ObjectStore } from '@convoy/core';
import { type ProxiedRequest, startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { describe, expect, it } from 'vitest';
import { openS3ObjectStore } from './index.js';

/**
 * Deadlines against a server that stalls (a proxy on 127.0.0.1 that accepts and never answers,
 * or goes silent halfway through a body): every request fails within its timeout and is retried,
 * a download cut or stalled halfway resumes where it stopped, nothing waits forever, and a call
 * cancelled by its signal stops at once, its connection closed.
 */
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const server = await startS3rver({ buckets: ['deadlines'] });
const proxy = await startFaultProxy(server.endpoint);
const TIMEOUT_MS = 500;
/** Far beyond every timeout and retry here: only a hang reaches it. */
const HANG_MS = 20_000;
let serial = 0;

function open(maxAttempts = 3) {
  return openS3ObjectStore(new URL(`s3://deadlines@us-east-1/t${serial++}`), {
    endpoint: proxy.endpoint,
    options: { 's3.requestTimeoutMs': String(TIMEOUT_MS), 's3.maxAttempts': String(maxAttempts) },
  });
}

function noHang<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${HANG_MS} ms: it hangs`)), HANG_MS).unref()),
  ]);
}

const objectGet = (key: string) => (r: ProxiedRequest) => r.method === 'GET' && r.url.includes(key);

describe('objectstore-s3 deadlines (a stalling proxy on 127.0.0.1)', () => {
  it('a request the server never answers times out and is retried', async () => {
    const store = await open();
    await store.put('a/obj', Buffer.from('hello'));
    proxy.inject({ fault: 'stall', match: objectGet('a/obj') });
    expect((await noHang(store.get('a/obj')))?.toString()).toBe('hello');
    expect(store.stats.retries).toBeGreaterThan(0);
    await store.close();
  });

  it('a server that never answers fails the request with a store error once the attempts are spent', async () => {
    const store = await open(2);
    proxy.inject({ fault: 'stall', match: (r) => r.url.includes('b/never'), times: 2 });
    const err = await noHang(store.get('b/never')).catch((e: unknown) => e);
    expect(isConvoyError(err, 'STORE_ERROR'), String(err)).toBe(true);
    await store.close();
  });

  it('an upload whose request stalls times out and is retried', async () => {
    const store = await open();
    const data = randomBytes(256 * 1024);
    proxy.inject({ fault: 'stall', match: (r) => r.method === 'PUT' && r.url.includes('c/up') });
    await noHang(store.put('c/up', Readable.from([data])));
    expect((await store.get('c/up'))!.equals(data)).toBe(true);
    await store.close();
  });

  it('a buffer upload sent in slices whose request stalls is retried with the whole buffer', async () => {
    const store = await open();
    const data = randomBytes(4 * 1024 * 1024);
    proxy.inject({ fault: 'stall', match: (r) => r.method === 'PUT' && r.url.includes('c/sliced') });
    await noHang(store.put('c/sliced', data));
    expect(store.stats.retries).toBeGreaterThan(0);
    expect((await store.get('c/sliced'))!.equals(data)).toBe(true);
    await store.close();
  });

  const MB = 1024 * 1024;
  it.each([
    ['a streamed download', 'cut', 'cut-response', 'd/cut'],
    ['a streamed download', 'stalled', 'stall-response', 'e/stall'],
    ['a ranged read', 'cut', 'cut-response', 'g/cut'],
    ['a ranged read', 'stalled', 'stall-response', 'h/stall'],
  ] as const)('%s %s halfway resumes where it stopped with one more ranged GET and yields the exact bytes', async (read, _how, fault, key) => {
    const store = await open();
    const data = randomBytes(4 * MB);
    await store.put(key, data);
    proxy.inject({ fault, match: objectGet(key) });
    // The ranged read asks for bytes in the middle: its resumption must stay inside that range.
    const got = read === 'a ranged read' ? store.getRange(key, MB + 3, 2 * MB) : store.getStream(key).then((body) => buffer(body!));
    const expected = read === 'a ranged read' ? data.subarray(MB + 3, 3 * MB + 3) : data;
    expect((await noHang(got))!.equals(expected)).toBe(true);
    expect(proxy.requests.filter(objectGet(key)).length).toBe(2);
    await store.close();
  });

  it('a streamed download that keeps stalling fails with a store error, not a hang', async () => {
    const store = await open(2);
    const data = randomBytes(1024 * 1024);
    await store.put('f/stall', data);
    proxy.inject({ fault: 'stall-response', match: objectGet('f/stall'), times: 10 });
    const body = await store.getStream('f/stall');
    const err = await noHang(buffer(body!)).catch((e: unknown) => e);
    expect(isConvoyError(err, 'STORE_ERROR'), String(err)).toBe(true);
    await store.close();
  });

  // The timeout here is far longer than any test: only the signal can end these calls.
  const patient = () =>
    openS3ObjectStore(new URL(`s3://deadlines@us-east-1/t${serial++}`), { endpoint: proxy.endpoint, options: { 's3.requestTimeoutMs': String(HANG_MS * 3) } });
  // Resolves when the proxy stalls a matching request, with `closed` (wrapped: a promise resolved with a promise would wait for it).
  const stalledOn = (match: (r: ProxiedRequest) => boolean, fault: 'stall' | 'stall-response' = 'stall') =>
    new Promise<{ closed: Promise<void> }>((resolve) => proxy.inject({ fault, match, served: (_req, closed) => resolve({ closed }) }));
  const settled = (work: Promise<unknown>) =>
    work.then(
      () => 'resolved',
      (err: unknown) => err,
    );

  const inFlight: Record<string, (store: ObjectStore, signal: AbortSignal) => Promise<unknown>> = {
    get: (store, signal) => store.get('i/obj', { signal }),
    'getStream, read whole': (store, signal) => store.getStream('i/obj', { signal }).then((body) => buffer(body!)),
    getRange: (store, signal) => store.getRange('i/obj', 10, 1000, undefined, { signal }),
    'getRange into a buffer': (store, signal) => store.getRange('i/obj', 10, 1000, Buffer.alloc(1000), { signal }),
    head: (store, signal) => store.head('i/obj', { signal }),
  };
  it.each(Object.keys(inFlight))('%s against a server that never answers rejects CANCELLED once its signal fires, its connection closed', async (name) => {
    const store = await patient();
    await store.put('i/obj', randomBytes(4096));
    const stalled = stalledOn((r) => r.url.includes('i/obj') && (r.method === 'GET' || r.method === 'HEAD'));
    const stop = new AbortController();
    const outcome = settled(inFlight[name]!(store, stop.signal));
    const { closed: connectionClosed } = await stalled;
    stop.abort(new Error('the client went away'));
    const err = await noHang(outcome);
    expect(isConvoyError(err, 'CANCELLED'), String(err)).toBe(true);
    await noHang(connectionClosed);
    await store.close();
  });

  it('a listing whose next page never comes rejects CANCELLED once its signal fires', async () => {
    const store = await openS3ObjectStore(new URL(`s3://deadlines@us-east-1/t${serial++}`), {
      endpoint: proxy.endpoint,
      options: { 's3.requestTimeoutMs': String(HANG_MS * 3), 's3.pageSize': '2' },
    });
    for (const name of ['a', 'b', 'c', 'd']) await store.put(`j/${name}`, Buffer.from(name));
    // The first page passes; the second (it carries a continuation token) stalls.
    const stalled = stalledOn((r) => r.url.includes('list-type=2') && r.url.includes('continuation-token'));
    const stop = new AbortController();
    const seen: string[] = [];
    const outcome = settled(
      (async () => {
        for await (const info of store.list('j/', { signal: stop.signal })) seen.push(info.key);
      })(),
    );
    const { closed: connectionClosed } = await stalled;
    stop.abort(new ConvoyError('BUSY', 'cancelled because the daemon is stopping'));
    const err = await noHang(outcome);
    // The caller's own ConvoyError is what the listing rejects with.
    expect(isConvoyError(err, 'BUSY'), String(err)).toBe(true);
    expect(seen).toEqual(['j/a', 'j/b']);
    await noHang(connectionClosed);
    await store.close();
  });

  it('a ranged read into a buffer whose body stalls halfway stops reading and rejects CANCELLED once its signal fires', async () => {
    const store = await patient();
    const data = randomBytes(4 * MB);
    await store.put('k/stall', data);
    const stalled = stalledOn(objectGet('k/stall'), 'stall-response');
    const stop = new AbortController();
    const into = Buffer.alloc(3 * MB);
    const outcome = settled(store.getRange('k/stall', 5, 3 * MB, into, { signal: stop.signal }));
    const { closed: connectionClosed } = await stalled;
    stop.abort(new Error('the client went away'));
    const err = await noHang(outcome);
    expect(isConvoyError(err, 'CANCELLED'), String(err)).toBe(true);
    await noHang(connectionClosed);
    // Cancelled, not resumed: no second ranged GET.
    expect(proxy.requests.filter(objectGet('k/stall')).length).toBe(1);
    await store.close();
  });
});
