import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { isConvoyError } from '@convoy/core';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { describe, expect, it } from 'vitest';
import { openS3ObjectStore } from './index.js';

/**
 * A multipart upload whose parts fail reports the parts' own error (here a 500), never the
 * error of the clean-up that follows (AbortMultipartUpload, which s3rver refuses with 405):
 * the clean-up's failure rides along as secondary, in the details.
 */
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const MiB = 1024 * 1024;
const server = await startS3rver({ buckets: ['parts'] });
const proxy = await startFaultProxy(server.endpoint);

describe('objectstore-s3 multipart failures (a proxy on 127.0.0.1 failing parts with 500)', () => {
  it('reports the failed part, not the clean-up after it', async () => {
    const store = await openS3ObjectStore(new URL('s3://parts@us-east-1/m'), {
      endpoint: proxy.endpoint,
      options: { 's3.partSize': String(5 * MiB), 's3.maxAttempts': '2' },
    });
    proxy.inject({ fault: 'internal-error', match: (r) => r.method === 'PUT' && r.url.includes('partNumber='), times: 1000 });
    const err = await store.put('big/object', Readable.from([randomBytes(12 * MiB)])).catch((e: unknown) => e);
    expect(isConvoyError(err, 'STORE_ERROR'), String(err)).toBe(true);
    const message = (err as Error).message;
    expect(message).toMatch(/InternalError \(HTTP 500\)/);
    expect(message).not.toMatch(/405/);
    // s3rver refuses AbortMultipartUpload: that failure is kept, as secondary.
    expect((err as { details?: { cleanup?: string } }).details?.cleanup).toMatch(/removing the parts of upload .*HTTP 405/);
    expect(proxy.injected['internal-error']).toBeGreaterThan(0);
    await store.close();
  });
});
