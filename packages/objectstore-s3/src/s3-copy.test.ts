// `backup copy` with S3 on either side (s3rver on 127.0.0.1): block volumes in both layouts, and
// a server that stalls mid-copy, after which the same copy, run again, completes and verifies.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createBackupEngine, parseBackupUrl } from '@convoy/backup-store';
import type { ObjectStore, StoreLayout } from '@convoy/core';
import { ImageSource, MemoryObjectStore } from '@convoy/core/testing';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { openS3ObjectStore } from './index.js';

process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const BLOCK = 2 * 1024 * 1024;
const server = await startS3rver({ buckets: ['copies'] });
const scratch = await tempDir('convoy-s3-copy-');
const engine = createBackupEngine({ packs: { size: 4 * 1024 * 1024 } });
let serial = 0;

async function setUp(blocks: number) {
  const source = await ImageSource.open(await mkdtemp(path.join(scratch, 'host-')));
  await source.createVolume('vol1', blocks * BLOCK);
  for (let i = 0; i < blocks; i += 1) await source.writeVolume('vol1', i * BLOCK, randomBytes(BLOCK));
  await source.snapshot('vol1', 'snap1');
  return source;
}

function backup(store: ObjectStore, source: ImageSource, snapshot: string, layout?: StoreLayout) {
  return engine.createBackup({
    store,
    destUrl: store.url,
    driverName: 'image',
    volume: source.volumeRecord('vol1'),
    snapshot: source.snapshotRecord('vol1', snapshot),
    ops: source,
    owner: 'host',
    ...(layout ? { layout } : {}),
  });
}

async function expectRestores(store: ObjectStore, source: ImageSource, url: string, snapshot: string): Promise<void> {
  const { backupName, volumeName } = parseBackupUrl(url);
  const name = `restored-${serial++}`;
  await engine.restoreBackup({ store, backupName, volumeName, driverName: 'image', ops: source, request: { name, options: {} }, owner: 'other-host' });
  expect((await readFile(source.volumePath(name))).equals(await readFile(source.snapshotPath(snapshot)))).toBe(true);
}

async function expectClean(store: ObjectStore): Promise<void> {
  const report = await engine.verify({ store, destUrl: store.url, owner: 'host', deep: true });
  expect(report.problems).toEqual([]);
}

const names = async (store: ObjectStore) => (await engine.listBackups({ store, destUrl: store.url })).map((b) => [b.name, b.createdAt, b.snapshotCreatedAt]);

describe('backup copy to and from S3', () => {
  it.each([['packs'], ['convoy-v0.5']] as Array<[StoreLayout]>)('a %s volume goes to S3 and back, restoring bit-exact on each side', async (layout) => {
    const source = await setUp(4);
    const local = new MemoryObjectStore(`mem://local-${serial++}`);
    const first = await backup(local, source, 'snap1', layout);
    const s3 = await openS3ObjectStore(new URL(`s3://copies@us-east-1/t${serial++}`), { endpoint: server.endpoint });
    try {
      expect((await engine.copyBackups({ from: local, to: s3, owner: 'host', layout: layout === 'packs' ? 'convoy-v0.5' : 'packs' })).copied).toHaveLength(1);
      expect(await names(s3)).toEqual(await names(local));
      await expectRestores(s3, source, `${s3.url}?backup=${first.name}&volume=vol1`, 'snap1');
      await expectClean(s3);
      const back = new MemoryObjectStore(`mem://back-${serial++}`);
      expect((await engine.copyBackups({ from: s3, to: back, owner: 'host' })).copied).toHaveLength(1);
      await expectRestores(back, source, `${back.url}?backup=${first.name}&volume=vol1`, 'snap1');
    } finally {
      await s3.close();
    }
  });

  it('a server that stalls fails the copy with nothing recorded half; the same copy run again completes and verifies', async () => {
    const source = await setUp(6);
    const local = new MemoryObjectStore(`mem://stall-${serial++}`);
    const first = await backup(local, source, 'snap1');
    await source.writeVolume('vol1', 0, randomBytes(BLOCK));
    await source.snapshot('vol1', 'snap2');
    const second = await backup(local, source, 'snap2');
    const proxy = await startFaultProxy(server.endpoint);
    const url = new URL(`s3://copies@us-east-1/t${serial++}`);
    // One attempt per request, idle 500 ms: a stalled upload fails instead of being retried.
    const s3 = await openS3ObjectStore(url, { endpoint: proxy.endpoint, options: { 's3.maxAttempts': '1', 's3.requestTimeoutMs': '500' } });
    try {
      let packPuts = 0;
      proxy.inject({ fault: 'stall', match: (req) => req.method === 'PUT' && req.url.includes('/packs/') && ++packPuts === 2, times: 1 });
      await expect(engine.copyBackups({ from: local, to: s3, owner: 'host' })).rejects.toThrow();
      expect(proxy.injected.stall).toBe(1);
      expect((await engine.listBackups({ store: s3, destUrl: s3.url })).length).toBeLessThan(2);
      await expectClean(s3);

      const resumed = await engine.copyBackups({ from: local, to: s3, owner: 'host' });
      expect(resumed.copied.map((c) => c.backupName)).toContain(second.name);
      expect(await names(s3)).toEqual(await names(local));
      await expectClean(s3);
      await expectRestores(s3, source, `${s3.url}?backup=${second.name}&volume=vol1`, 'snap2');
      await expectRestores(s3, source, `${s3.url}?backup=${first.name}&volume=vol1`, 'snap1');
    } finally {
      await s3.close();
      await proxy.stop();
    }
  });
});
