import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createBackupEngine, parseBackupUrl } from '@convoy/backup-store';
import type { BackupSummary, ObjectStoreOptions, SingleFileBackupOps, StoreLayout } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { openS3ObjectStore } from './index.js';
import type { S3ObjectStore } from './s3-store.js';

process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const MiB = 1024 * 1024;
const BLOCK = 2 * MiB;
const server = await startS3rver({ buckets: ['backups'] });
const scratch = await tempDir('convoy-s3-backup-');
const engine = createBackupEngine();
let serial = 0;

/** A store URL of its own per test, in the one bucket; each "host" opens its own client. */
function freshUrl(): string {
  return `s3://backups@us-east-1/t${serial++}/convoy`;
}

function open(url: string, opts: ObjectStoreOptions = {}): Promise<S3ObjectStore> {
  return openS3ObjectStore(new URL(url), { endpoint: server.endpoint, ...opts });
}

/** A host: its own image source (its own disks) and its own store client. */
async function host(url: string, opts: ObjectStoreOptions = {}) {
  return { source: await ImageSource.open(await mkdtemp(path.join(scratch, 'host-'))), store: await open(url, opts) };
}

type Host = Awaited<ReturnType<typeof host>>;

function backup(h: Host, url: string, volume: string, snapshot: string, layout: StoreLayout = 'convoy-v0.5'): Promise<BackupSummary> {
  return engine.createBackup({
    store: h.store,
    destUrl: url,
    driverName: 'image',
    volume: h.source.volumeRecord(volume),
    snapshot: h.source.snapshotRecord(volume, snapshot),
    ops: h.source,
    owner: 'host',
    layout,
  });
}

const requests = (s: S3ObjectStore['stats']): number => s.get + s.put + s.head + s.list + s.delete + s.parts;

async function restoreOn(h: Host, backupUrl: string, name: string): Promise<Buffer> {
  const { backupName, volumeName } = parseBackupUrl(backupUrl);
  await engine.restoreBackup({
    store: h.store,
    backupName,
    volumeName,
    driverName: 'image',
    ops: h.source,
    request: { name, options: {} },
    owner: 'other-host',
  });
  return readFile(h.source.volumePath(name));
}

async function volumeWith(h: Host, name: string, blocks: number[], size = 16 * MiB): Promise<void> {
  await h.source.createVolume(name, size);
  for (const i of blocks) await h.source.writeVolume(name, i * BLOCK, randomBytes(BLOCK));
}

/** A host whose store client goes through a fault proxy, with vol1 (8 random blocks) snapshotted. */
async function hostBehindFaultProxy(url: string) {
  const proxy = await startFaultProxy(server.endpoint);
  const h = await host(url);
  await h.store.close();
  h.store = await openS3ObjectStore(new URL(url), { endpoint: proxy.endpoint });
  await volumeWith(h, 'vol1', [0, 1, 2, 3, 4, 5, 6, 7]);
  await h.source.snapshot('vol1', 'snap1');
  return { proxy, h };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('backup engine on S3 (s3rver on 127.0.0.1)', () => {
  it('v0.5 layout: backs up incrementally on one host and restores bit-exact on another', async () => {
    const url = freshUrl();
    const a = await host(url);
    await volumeWith(a, 'pgdata', [0, 1, 2, 3, 4, 5]);
    await a.source.snapshot('pgdata', 'snap1');
    const first = await backup(a, url, 'pgdata', 'snap1');
    expect(first.url).toBe(`${url}?backup=${first.name}&volume=pgdata`);

    await a.source.writeVolume('pgdata', 3 * BLOCK + 4096, Buffer.from('a small change'));
    await a.source.snapshot('pgdata', 'snap2');
    const before = { ...a.store.stats };
    const second = await backup(a, url, 'pgdata', 'snap2');
    // One block + lock intent + lock acquired + backup record + volume record.
    expect(a.store.stats.put - before.put).toBe(5);
    // The last backup's map says which blocks exist: no HEAD, no look into the block tree, only
    // two listings of locks/. In all at most `changed blocks + 12` requests: the 11th is the
    // read of volume.cfg before the lock that tells whether the volume is encrypted, the 12th the
    // first bytes of the last record, which show a clear volume did not lose its encryption marker.
    expect(a.store.stats.head - before.head).toBe(0);
    expect(a.store.stats.list - before.list).toBe(2);
    expect(requests(a.store.stats) - requests(before)).toBeLessThanOrEqual(1 + 12);

    const b = await host(url);
    expect(sha(await restoreOn(b, second.url, 'pgdata-copy'))).toBe(sha(await readFile(a.source.snapshotPath('snap2'))));
    expect(sha(await restoreOn(b, first.url, 'pgdata-old'))).toBe(sha(await readFile(a.source.snapshotPath('snap1'))));
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('lists, deletes and garbage-collects past one page of results, and keeps vol10 when vol1 goes', async () => {
    const url = freshUrl();
    // Three keys a page: every listing here crosses pages.
    const h = await host(url, { options: { 's3.pageSize': '3' } });
    const made: Record<string, BackupSummary[]> = {};
    for (const name of ['vol1', 'vol10', 'vol2']) {
      await volumeWith(h, name, [0, 1, 2, 3, 4], 10 * MiB);
      made[name] = [];
      for (const snap of [1, 2]) {
        await h.source.writeVolume(name, snap * BLOCK, randomBytes(BLOCK));
        await h.source.snapshot(name, `${name}-s${snap}`);
        made[name]!.push(await backup(h, url, name, `${name}-s${snap}`));
      }
    }
    const listed = await engine.listBackups({ store: h.store, destUrl: url });
    expect(listed.map((b) => b.name).sort()).toEqual(
      Object.values(made)
        .flat()
        .map((b) => b.name)
        .sort(),
    );

    const keysOf = async (prefix: string) => {
      const keys: string[] = [];
      for await (const info of h.store.list(prefix)) keys.push(info.key);
      return keys;
    };
    const vol10Before = await keysOf('convoy-objectstore/volumes/vo/l1/vol10/');
    for (const b of made['vol1']!) await engine.deleteBackup({ store: h.store, destUrl: url, ...parseBackupUrl(b.url), owner: 'host' });
    expect(await keysOf('convoy-objectstore/volumes/vo/l1/vol1/')).toEqual([]);
    expect(await keysOf('convoy-objectstore/volumes/vo/l1/vol10/')).toEqual(vol10Before);

    // GC of one backup of vol2 keeps the blocks its other backup uses.
    await engine.deleteBackup({ store: h.store, destUrl: url, ...parseBackupUrl(made['vol2']![0]!.url), owner: 'host' });
    expect(sha(await restoreOn(h, made['vol2']![1]!.url, 'vol2-copy'))).toBe(sha(await readFile(h.source.snapshotPath('vol2-s2'))));
    expect(sha(await restoreOn(h, made['vol10']![0]!.url, 'vol10-copy'))).toBe(sha(await readFile(h.source.snapshotPath('vol10-s1'))));
    await h.store.close();
  });

  it('pack layout: a full backup and a restore stay within stored bytes ÷ 8 MiB + 10 requests; an incremental is one pack and one index object', async () => {
    const url = freshUrl();
    const a = await host(url);
    const blocks = Array.from({ length: 48 }, (_, i) => i); // 96 MiB, incompressible
    await volumeWith(a, 'big', blocks, 96 * MiB);
    await a.source.snapshot('big', 'snap1');
    const full = await backup(a, url, 'big', 'snap1', 'packs');
    let stored = 0;
    for await (const info of a.store.list('convoy-objectstore/volumes/bi/g!/big!/packs/')) stored += info.size;
    const budget = Math.floor(stored / (8 * MiB)) + 10;
    const backupRequests = requests(a.store.stats);
    expect(backupRequests).toBeLessThanOrEqual(budget);
    expect(a.store.stats.parts).toBe(0);

    const b = await host(url);
    expect(sha(await restoreOn(b, full.url, 'big-copy'))).toBe(sha(await readFile(a.source.snapshotPath('snap1'))));
    const restoreRequests = requests(b.store.stats);
    expect(restoreRequests).toBeLessThanOrEqual(budget);
    console.log(`S3, 96 MiB full backup in packs: ${stored} bytes stored, budget ${budget}, backup ${backupRequests} requests, restore ${restoreRequests}`);

    await a.source.writeVolume('big', 7 * BLOCK + 100, Buffer.from('a small change'));
    await a.source.snapshot('big', 'snap2');
    const before = { ...a.store.stats };
    const incremental = await backup(a, url, 'big', 'snap2', 'packs');
    // One pack + one index object + lock intent + lock acquired + backup record + volume record.
    expect(a.store.stats.put - before.put).toBe(6);
    expect(sha(await restoreOn(b, incremental.url, 'big-incr'))).toBe(sha(await readFile(a.source.snapshotPath('snap2'))));
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('pack layout: backs up and restores through 503s, resets, dropped connections and a ranged read cut halfway', async () => {
    const url = freshUrl();
    const { proxy, h } = await hostBehindFaultProxy(url);
    const packPut = (r: { method: string; url: string }) => r.method === 'PUT' && r.url.includes('/packs/');
    const packGet = (r: { method: string; url: string }) => r.method === 'GET' && r.url.includes('/packs/');
    proxy.inject({ fault: 'slowdown', match: packPut });
    proxy.inject({ fault: 'reset', match: packPut });
    const summary = await backup(h, url, 'vol1', 'snap1', 'packs');
    proxy.inject({ fault: 'internal-error', match: packGet });
    proxy.inject({ fault: 'cut-response', match: packGet });
    const restored = await restoreOn(h, summary.url, 'restored');
    expect(sha(restored)).toBe(sha(await readFile(h.source.snapshotPath('snap1'))));
    expect(proxy.injected).toMatchObject({ slowdown: 1, 'internal-error': 1, reset: 1, 'cut-response': 1 });
    expect(h.store.stats.retries).toBe(4);
    await h.store.close();
  });

  it('v0.5 layout: backs up and restores through 503s, resets and dropped connections', async () => {
    const url = freshUrl();
    const { proxy, h } = await hostBehindFaultProxy(url);
    const blockPut = (r: { method: string; url: string }) => r.method === 'PUT' && r.url.includes('/blocks/');
    const blockGet = (r: { method: string; url: string }) => r.method === 'GET' && r.url.includes('/blocks/');
    proxy.inject({ fault: 'slowdown', match: blockPut, times: 3 });
    proxy.inject({ fault: 'reset', match: blockPut, times: 2 });
    proxy.inject({ fault: 'drop', match: blockPut, times: 2 });
    const summary = await backup(h, url, 'vol1', 'snap1');
    proxy.inject({ fault: 'internal-error', match: blockGet, times: 2 });
    proxy.inject({ fault: 'reset', match: blockGet });
    proxy.inject({ fault: 'cut-response', match: blockGet });
    const restored = await restoreOn(h, summary.url, 'restored');
    expect(sha(restored)).toBe(sha(await readFile(h.source.snapshotPath('snap1'))));
    expect(proxy.injected).toEqual({ slowdown: 3, 'internal-error': 2, reset: 3, drop: 2, 'cut-response': 1, stall: 0, 'stall-response': 0 });
    expect(h.store.stats.retries).toBe(11);
    await h.store.close();
  });

  it('stores a single-file archive larger than a part in parts and streams it back', async () => {
    const url = freshUrl();
    const store = await open(url, { options: { 's3.partSize': String(5 * MiB) } });
    const archive = randomBytes(13 * MiB);
    let imported: Buffer | undefined;
    const ops: SingleFileBackupOps = {
      mode: 'single-file',
      // The engine treats the archive as opaque bytes; chunks of a tar's size arrive as a driver sends them.
      exportSnapshot: async () => Readable.from(Array.from({ length: 13 }, (_, i) => archive.subarray(i * MiB, (i + 1) * MiB))),
      importVolume: async (req, stream) => {
        imported = Buffer.concat(await stream.toArray());
        return { name: req.name, driver: 'dir', size: 0, createdAt: new Date().toISOString(), snapshots: [], driverInfo: {} };
      },
    };
    const summary = await engine.createBackup({
      store,
      destUrl: url,
      driverName: 'dir',
      volume: { name: 'files', driver: 'dir', size: 0, createdAt: new Date().toISOString(), snapshots: [], driverInfo: {} },
      snapshot: { name: 'files-snap', volumeName: 'files', createdAt: new Date().toISOString(), driverInfo: {} },
      ops,
      compression: 'none',
      owner: 'host',
    });
    expect(store.stats.parts).toBe(3);
    expect(summary.uploadedBytes).toBe(archive.length);
    await engine.restoreBackup({
      store,
      backupName: summary.name,
      volumeName: 'files',
      driverName: 'dir',
      ops,
      request: { name: 'files-copy', options: {} },
      owner: 'host',
    });
    expect(imported?.equals(archive)).toBe(true);
    await store.close();
  });
});
