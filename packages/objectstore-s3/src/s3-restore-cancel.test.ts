// A restore the user cancels while S3 stalls must stop at once: before reads took the signal, a
// stalled ranged GET kept the restore (and its store lock) alive until the socket timeout and the
// SDK's retries gave up. Engine and store together, against s3rver behind a stalling proxy.
import { mkdtemp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createBackupEngine, parseBackupUrl } from '@convoy/backup-store';
import { ConvoyError, isConvoyError } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import { type ProxiedRequest, startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { openS3ObjectStore } from './index.js';

process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const MiB = 1024 * 1024;
const server = await startS3rver({ buckets: ['cancel'] });
const proxy = await startFaultProxy(server.endpoint);
const scratch = await tempDir('convoy-s3-cancel-');
const engine = createBackupEngine();
const url = 's3://cancel@us-east-1/restore/convoy';
const packGet = (r: ProxiedRequest) => r.method === 'GET' && r.url.includes('/packs/');

describe('cancelling a restore from S3 while the server stalls (s3rver behind a proxy on 127.0.0.1)', () => {
  it('rejects CANCELLED, aborts the restore target and releases the store lock', async () => {
    // The socket timeout is shortened only so that, without a cancellable read, this test fails
    // (STORE_ERROR once the attempts are spent) rather than waiting out the default timeout.
    const store = await openS3ObjectStore(new URL(url), { endpoint: proxy.endpoint, options: { 's3.requestTimeoutMs': '2000', 's3.maxAttempts': '2' } });
    const hostDir = await mkdtemp(path.join(scratch, 'host-'));
    const source = await ImageSource.open(hostDir);
    await source.createVolume('vol1', 8 * MiB);
    for (let i = 0; i < 4; i++) await source.writeVolume('vol1', i * 2 * MiB, Buffer.alloc(2 * MiB, i + 1));
    await source.snapshot('vol1', 'snap1');
    const summary = await engine.createBackup({
      store,
      destUrl: url,
      driverName: 'image',
      volume: source.volumeRecord('vol1'),
      snapshot: source.snapshotRecord('vol1', 'snap1'),
      ops: source,
      owner: 'host',
      layout: 'packs',
    });

    // Every ranged read of a pack stalls (a retry too) until the restore has settled.
    let stalling = true;
    // Wrapped: a promise resolved with a promise would wait for the connection to close.
    const stalled = new Promise<{ closed: Promise<void> }>((resolve) =>
      proxy.inject({ fault: 'stall', match: (r) => stalling && packGet(r), times: Number.MAX_SAFE_INTEGER, served: (_req, closed) => resolve({ closed }) }),
    );
    const cancel = new AbortController();
    const { backupName, volumeName } = parseBackupUrl(summary.url);
    const restoring = engine
      .restoreBackup({
        store,
        backupName,
        volumeName,
        driverName: 'image',
        ops: source,
        request: { name: 'restored', options: {} },
        owner: 'host',
        signal: cancel.signal,
      })
      .then(
        () => 'restored',
        (err: unknown) => err,
      );
    const { closed: connectionClosed } = await stalled;
    cancel.abort(new ConvoyError('CANCELLED', 'cancelled: the client went away'));
    const outcome = await restoring;
    stalling = false;
    expect(isConvoyError(outcome, 'CANCELLED'), String(outcome)).toBe(true);
    // The stalled request's connection was closed by the client, not left to its timeout.
    await connectionClosed;
    // The restore target was aborted: no volume, no half-written image.
    expect(source.volumeNames()).toEqual(['vol1']);
    expect(await readdir(path.join(hostDir, 'restoring')).catch(() => [])).toEqual([]);
    // The lock is gone: an operation that excludes every other takes the volume at once.
    const locks: string[] = [];
    for await (const info of store.list('')) if (info.key.endsWith('.lck')) locks.push(info.key);
    expect(locks).toEqual([]);
    await engine.deleteBackup({ store, destUrl: url, backupName, volumeName, owner: 'host' });
    await store.close();
  });
});
