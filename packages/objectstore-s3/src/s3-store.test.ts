import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ErrorCode } from '@convoy/core';
import { objectStoreComplianceSuite } from '@convoy/core/testing';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { describe, expect, it } from 'vitest';
import s3StoreDefinition, { openS3ObjectStore } from './index.js';

// The SDK's default credential chain reads these; s3rver knows only its own key pair.
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const server = await startS3rver({ buckets: ['compliance', 'faults', 'misc'] });

objectStoreComplianceSuite({
  name: 's3 (objectstore-s3 on s3rver)',
  // A tiny page size, so every listing in the suite crosses pages.
  setup: async () => {
    const store = await openS3ObjectStore(new URL('s3://compliance@us-east-1/some/prefix'), { endpoint: server.endpoint, options: { 's3.pageSize': '5' } });
    return { store, cleanup: () => store.close() };
  },
  quirks: { listsInWalkOrder: true, overwritesInPlace: true },
});

/** Matches a ConvoyError of `code` whose message mentions `mention`. */
function failsWith(code: ErrorCode, mention: string) {
  return expect.objectContaining({ code, message: expect.stringContaining(mention) });
}

describe('objectstore-s3', () => {
  it('is the s3 scheme and normalises its URL', async () => {
    expect(s3StoreDefinition.scheme).toBe('s3');
    const store = await s3StoreDefinition.open(new URL('s3://misc@us-east-1/p/'), { endpoint: `${server.endpoint}/` });
    expect(store.url).toBe('s3://misc@us-east-1/p');
    await store.close();
  });

  it('says which bucket does not exist', async () => {
    await expect(openS3ObjectStore(new URL('s3://no-such-bucket@us-east-1/x'), { endpoint: server.endpoint })).rejects.toEqual(
      failsWith('NOT_FOUND', 'no-such-bucket'),
    );
  });

  it('says the credentials are wrong', async () => {
    // s3rver does not verify V4 signatures, only that the access key exists.
    const saved = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'NOT-A-KEY';
    try {
      await expect(openS3ObjectStore(new URL('s3://misc@us-east-1/x'), { endpoint: server.endpoint })).rejects.toEqual(failsWith('STORE_ERROR', 'credentials'));
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved;
    }
  });

  it('refuses a malformed endpoint and unknown options before any request', async () => {
    await expect(openS3ObjectStore(new URL('s3://misc@us-east-1/x'), { endpoint: 'not a url' })).rejects.toEqual(failsWith('INVALID_ARGUMENT', 'endpoint'));
    await expect(openS3ObjectStore(new URL('s3://misc@us-east-1/x'), { endpoint: `${server.endpoint}/path` })).rejects.toEqual(
      failsWith('INVALID_ARGUMENT', 'endpoint'),
    );
    await expect(openS3ObjectStore(new URL('s3://misc@us-east-1/x'), { endpoint: server.endpoint, options: { 's3.typo': '1' } })).rejects.toEqual(
      failsWith('INVALID_ARGUMENT', 's3.typo'),
    );
  });

  it('uploads large streams in parts and reads them back byte-equal', async () => {
    const store = await openS3ObjectStore(new URL('s3://misc@us-east-1/parts'), {
      endpoint: server.endpoint,
      options: { 's3.partSize': String(5 * 1024 * 1024) },
    });
    const data = randomBytes(12 * 1024 * 1024 + 17);
    await store.put('big.bin', Readable.from([data]));
    expect(store.stats.parts).toBe(3);
    expect((await store.get('big.bin'))?.equals(data)).toBe(true);
    await store.close();
  });

  it("puts a buffer of a pack's size in ONE request, and reads ranges of it back with one GET each", async () => {
    const store = await openS3ObjectStore(new URL('s3://misc@us-east-1/packs'), {
      endpoint: server.endpoint,
      options: { 's3.partSize': String(5 * 1024 * 1024) },
    });
    const data = randomBytes(12 * 1024 * 1024 + 17);
    await store.put('pack.bin', data);
    expect(store.stats).toMatchObject({ put: 1, parts: 0 });
    expect((await store.getRange('pack.bin', 5 * 1024 * 1024, 3 * 1024 * 1024))?.equals(data.subarray(5 * 1024 * 1024, 8 * 1024 * 1024))).toBe(true);
    expect((await store.getRange('pack.bin', data.length - 10, 100))?.equals(data.subarray(data.length - 10))).toBe(true);
    expect(store.stats.get).toBe(2);
    await store.close();
  });

  it('reads a range into the buffer it is given (a restore reuses it range after range), and a short one as far as the object goes', async () => {
    const store = await openS3ObjectStore(new URL('s3://misc@us-east-1/into'), { endpoint: server.endpoint });
    const data = randomBytes(6 * 1024 * 1024 + 5);
    await store.put('pack.bin', data);
    const into = Buffer.from(new SharedArrayBuffer(4 * 1024 * 1024));
    const range = await store.getRange('pack.bin', 1024 * 1024 + 3, 3 * 1024 * 1024, into);
    expect(range?.buffer).toBe(into.buffer);
    expect(range?.equals(data.subarray(1024 * 1024 + 3, 4 * 1024 * 1024 + 3))).toBe(true);
    const tail = await store.getRange('pack.bin', data.length - 10, 100, into);
    expect(tail?.buffer).toBe(into.buffer);
    expect(tail?.equals(data.subarray(data.length - 10))).toBe(true);
    await store.close();
  });

  it('retries throttling, server errors, resets, dropped connections and cut-off downloads', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    const store = await openS3ObjectStore(new URL('s3://faults@us-east-1/x'), { endpoint: proxy.endpoint });
    const data = randomBytes(300_000);
    const isPut = (r: { method: string }) => r.method === 'PUT';
    const isGet = (r: { method: string; url: string }) => r.method === 'GET' && !r.url.includes('list-type');
    proxy.inject({ fault: 'slowdown', match: isPut, times: 2 });
    proxy.inject({ fault: 'reset', match: isPut });
    proxy.inject({ fault: 'drop', match: isPut });
    proxy.inject({ fault: 'internal-error', match: isGet });
    proxy.inject({ fault: 'cut-response', match: isGet });
    await store.put('object.bin', data);
    expect((await store.get('object.bin'))?.equals(data)).toBe(true);
    expect(proxy.injected).toEqual({ slowdown: 2, 'internal-error': 1, reset: 1, drop: 1, 'cut-response': 1, stall: 0, 'stall-response': 0 });
    expect(store.stats.retries).toBe(6);
    await store.close();
  });

  it('gives up after the attempts it is allowed, with a STORE_ERROR', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    const store = await openS3ObjectStore(new URL('s3://faults@us-east-1/x'), { endpoint: proxy.endpoint, options: { 's3.maxAttempts': '2' } });
    proxy.inject({ fault: 'slowdown', match: (r) => r.method === 'PUT', times: 2 });
    await expect(store.put('never.bin', Buffer.from('x'))).rejects.toEqual(failsWith('STORE_ERROR', 'SlowDown'));
    await store.close();
  });
});
