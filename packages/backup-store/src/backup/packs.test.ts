import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStoreStats, StoreLayout } from '@convoy/core';
import { expectCode, ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import type { UserKey } from './crypto/user-key.js';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, blocksDir, indexDir, packsDir, volumeConfigKey } from './layout.js';
import { blobCipher } from './pack-cipher.js';
import { DEFAULT_PACK_UPLOADS } from './pack-writer.js';
import { parseBackupUrl } from './url.js';

/** Packs, their index objects and both layouts in one engine (issue 18); docs/store-format.md. */

const MiB = 1024 * 1024;
const PACK = 4 * MiB;
const engine = createBackupEngine({ packs: { size: PACK } });
const scratch = await tempDir('convoy-packs-');

interface Env {
  store: MemoryObjectStore;
  source: ImageSource;
  destUrl: string;
}

async function makeEnv(): Promise<Env> {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  return { store: new MemoryObjectStore('mem://packs'), source: await ImageSource.open(path.join(dir, 'images')), destUrl: 'mem://packs' };
}

interface Extra {
  layout?: StoreLayout;
  encrypt?: boolean;
  encryptionKey?: UserKey;
}

function backup(env: Env, volume: string, snapshot: string, extra: Extra = {}) {
  const { source } = env;
  return engine.createBackup({
    store: env.store,
    destUrl: env.destUrl,
    driverName: 'image',
    volume: source.volumeRecord(volume),
    snapshot: source.snapshotRecord(volume, snapshot),
    ops: source,
    owner: 'host-a/1',
    ...extra,
  });
}

function restore(env: Env, url: string, newName: string, extra: Extra = {}) {
  const { backupName, volumeName } = parseBackupUrl(url);
  return engine.restoreBackup({
    store: env.store,
    backupName,
    volumeName,
    driverName: 'image',
    ops: env.source,
    request: { name: newName, options: {} },
    owner: 'host-a/1',
    ...extra,
  });
}

async function expectSameBytes(env: Env, restored: string, snapshot: string): Promise<void> {
  const [a, b] = await Promise.all([readFile(env.source.volumePath(restored)), readFile(env.source.snapshotPath(snapshot))]);
  expect(a.length).toBe(b.length);
  expect(a.equals(b)).toBe(true);
}

/** A volume of `blocks` random 2 MiB blocks (incompressible: stored bytes ≈ volume bytes), snapshotted. */
async function randomVolume(env: Env, volume: string, blocks: number, snapshot: string): Promise<void> {
  await env.source.createVolume(volume, blocks * BLOCK_SIZE);
  for (let i = 0; i < blocks; i += 1) await env.source.writeVolume(volume, i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await env.source.snapshot(volume, snapshot);
}

function requests(stats: ObjectStoreStats): number {
  return stats.get + stats.put + stats.head + stats.list + stats.delete;
}

function snapshotStats(store: MemoryObjectStore): ObjectStoreStats {
  return { ...store.stats };
}

function since(before: ObjectStoreStats, store: MemoryObjectStore): number {
  return requests(store.stats) - requests(before);
}

function storedBytes(store: MemoryObjectStore, prefix: string): number {
  return store.keysUnder(prefix).reduce((sum, key) => sum + (store as unknown as { objects: Map<string, { data: Buffer }> }).objects.get(key)!.data.length, 0);
}

/** Every object of the store, key → bytes: "nothing changed" is this, equal before and after. */
async function contents(store: MemoryObjectStore): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const key of store.keysUnder('')) all.set(key, (await store.get(key))!.toString('base64'));
  return all;
}

/** vol1: six random blocks backed up, then block 0 rewritten and backed up again. */
async function twoBackups(env: Env) {
  await randomVolume(env, 'vol1', 6, 's1');
  const first = await backup(env, 'vol1', 's1');
  await env.source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
  await env.source.snapshot('vol1', 's2');
  const second = await backup(env, 'vol1', 's2');
  return { first, second };
}

describe('pack layout: backup and restore', () => {
  it('is the default for a new volume: blocks go into packs with one index object, never one object per block, and restore bit-exact', async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 10, 's1');
    const summary = await backup(env, 'vol1', 's1');
    expect(env.store.keysUnder(blocksDir('vol1'))).toEqual([]);
    const packs = env.store.keysUnder(packsDir('vol1'));
    // 20 MiB of incompressible blocks in 4 MiB packs: 5 packs (each closes once past 4 MiB).
    expect(packs.length).toBeGreaterThanOrEqual(4);
    expect(packs.length).toBeLessThanOrEqual(6);
    expect(env.store.keysUnder(indexDir('vol1'))).toHaveLength(1);
    const volumeCfg = JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString());
    expect(volumeCfg).toMatchObject({ Layout: 'packs', PackSize: PACK });
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 's1');
  });

  it('reads every range of a restore into one of two reused buffers, and restores bit-exact', async () => {
    class RangeRecordingStore extends MemoryObjectStore {
      readonly into = new Set<Buffer | undefined>();
      reads = 0;
      override getRange(key: string, offset: number, length: number, into?: Buffer) {
        this.reads += 1;
        this.into.add(into);
        return super.getRange(key, offset, length, into);
      }
    }
    const store = new RangeRecordingStore('mem://packs');
    const env = { ...(await makeEnv()), store };
    await randomVolume(env, 'vol1', 12, 's1');
    const summary = await backup(env, 'vol1', 's1');
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 's1');
    expect(store.reads).toBeGreaterThan(2);
    expect([...store.into].every((b) => b !== undefined)).toBe(true);
    expect(store.into.size).toBeLessThanOrEqual(2);
  });

  it("writes the restored volume one block at a time (a file's writes take its lock, so writes side by side only spin), and restores bit-exact", async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 12, 's1');
    const summary = await backup(env, 'vol1', 's1');
    let writing = 0;
    let most = 0;
    let writes = 0;
    const source = env.source;
    const ops = Object.assign(Object.create(source) as ImageSource, {
      createRestoreTarget: async (...args: Parameters<ImageSource['createRestoreTarget']>) => {
        const target = await source.createRestoreTarget(...args);
        return {
          ...target,
          write: async (...w: Parameters<typeof target.write>) => {
            writing += 1;
            writes += 1;
            most = Math.max(most, writing);
            try {
              await new Promise((resolve) => setImmediate(resolve));
              return await target.write(...w);
            } finally {
              writing -= 1;
            }
          },
        };
      },
    });
    await restore({ ...env, source: ops }, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 's1');
    expect(writes).toBe(12);
    expect(most).toBe(1);
  });

  it('keeps a full backup and a restore within the request budget: stored bytes ÷ 8 MiB + 10', async () => {
    const env = await makeEnv();
    const big = createBackupEngine();
    await randomVolume(env, 'vol1', 48, 's1'); // 96 MiB
    const args = {
      store: env.store,
      destUrl: env.destUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 's1'),
      ops: env.source,
      owner: 'h',
    };
    const summary = await big.createBackup(args);
    const stored = storedBytes(env.store, packsDir('vol1'));
    const budget = Math.floor(stored / (8 * MiB)) + 10;
    const backupRequests = requests(env.store.stats);
    expect(backupRequests).toBeLessThanOrEqual(budget);
    const before = snapshotStats(env.store);
    await big.restoreBackup({
      store: env.store,
      backupName: summary.name,
      volumeName: 'vol1',
      driverName: 'image',
      ops: env.source,
      request: { name: 'restored', options: {} },
      owner: 'h',
    });
    expect(since(before, env.store)).toBeLessThanOrEqual(budget);
    await expectSameBytes(env, 'restored', 's1');
    console.log(
      `request budget (96 MiB, default 16 MiB packs): stored ${stored} bytes, budget ${budget}, backup ${backupRequests}, restore ${since(before, env.store)}`,
    );
  });

  it.each([
    ['the default number of', undefined, DEFAULT_PACK_UPLOADS],
    ['two, on request,', 2, 2],
  ])('bounds what packs hold in flight: %s uploads at once however slow the store, and one pack buffer more, reused', async (_, uploads, expected) => {
    const env = await makeEnv();
    const bounded = createBackupEngine({ packs: { size: PACK, ...(uploads === undefined ? {} : { uploads }) } });
    await randomVolume(env, 'vol1', 16, 's1');
    let uploading = 0;
    let most = 0;
    const packBuffers = new Set<ArrayBufferLike>();
    const put = env.store.put.bind(env.store);
    env.store.put = async (key, body) => {
      if (!key.includes('/packs/')) return put(key, body);
      packBuffers.add((body as Buffer).buffer);
      most = Math.max(most, ++uploading);
      try {
        // Slower than filling the next pack: only the writer's own limit holds the uploads back.
        await new Promise((resolve) => setTimeout(resolve, 30));
        return await put(key, body);
      } finally {
        uploading -= 1;
      }
    };
    const { source } = env;
    const summary = await bounded.createBackup({
      store: env.store,
      destUrl: env.destUrl,
      driverName: 'image',
      volume: source.volumeRecord('vol1'),
      snapshot: source.snapshotRecord('vol1', 's1'),
      ops: source,
      owner: 'host-a/1',
    });
    expect(env.store.keysUnder(packsDir('vol1')).length).toBeGreaterThanOrEqual(7);
    expect(most).toBe(expected);
    // Memory: the packs uploading and the one filling, each buffer reused for pack after pack.
    expect(packBuffers.size).toBe(expected + 1);
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 's1');
  });

  it('dedups an incremental against the index: only changed blocks are stored, and every backup of the chain restores alone', async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 6, 's1');
    const first = await backup(env, 'vol1', 's1');
    const packsBefore = env.store.keysUnder(packsDir('vol1')).length;
    await env.source.writeVolume('vol1', 2 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    // A block equal to another one already stored is not stored again.
    await env.source.writeVolume('vol1', 4 * BLOCK_SIZE, await readFile(env.source.snapshotPath('s1')).then((b) => b.subarray(0, BLOCK_SIZE)));
    await env.source.snapshot('vol1', 's2');
    const second = await backup(env, 'vol1', 's2');
    expect(second.uploadedBytes).toBeGreaterThan(BLOCK_SIZE - 1024);
    expect(second.uploadedBytes).toBeLessThan(BLOCK_SIZE + 1024);
    // The summary says how many blocks it stored (the daemon's block metrics read it): one.
    expect(second.uploadedBlocks).toBe(1);
    expect(env.store.keysUnder(packsDir('vol1')).length).toBe(packsBefore + 1);
    expect(env.store.keysUnder(indexDir('vol1'))).toHaveLength(2);
    await restore(env, first.url, 'r1');
    await expectSameBytes(env, 'r1', 's1');
    await restore(env, second.url, 'r2');
    await expectSameBytes(env, 'r2', 's2');
  });

  it('writes the v0.5 layout on request, keeps a v0.5 volume in v0.5, and refuses to mix layouts with nothing changed', async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 3, 's1');
    const first = await backup(env, 'vol1', 's1', { layout: 'convoy-v0.5' });
    expect(env.store.keysUnder(blocksDir('vol1'))).toHaveLength(3);
    const volumeCfg = JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString());
    // The record Go Convoy reads, unchanged: no layout field at all.
    expect(Object.keys(volumeCfg)).toEqual(['Name', 'Driver', 'Size', 'CreatedTime', 'LastBackupName']);

    await env.source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 's2');
    const before = await contents(env.store);
    await expectCode(backup(env, 'vol1', 's2', { layout: 'packs' }), 'INVALID_ARGUMENT', 'convoy-v0.5 layout', 'cannot switch to packs');
    expect(await contents(env.store)).toEqual(before);

    // Without --layout the volume's own layout goes on.
    const second = await backup(env, 'vol1', 's2');
    expect(env.store.keysUnder(blocksDir('vol1'))).toHaveLength(4);
    expect(env.store.keysUnder(packsDir('vol1'))).toEqual([]);
    await restore(env, second.url, 'r2');
    await expectSameBytes(env, 'r2', 's2');
    await restore(env, first.url, 'r1');
    await expectSameBytes(env, 'r1', 's1');

    // And the other way round: a pack volume refuses the v0.5 layout.
    await randomVolume(env, 'vol2', 2, 't1');
    await backup(env, 'vol2', 't1');
    await env.source.snapshot('vol2', 't2');
    const before2 = await contents(env.store);
    await expectCode(backup(env, 'vol2', 't2', { layout: 'convoy-v0.5' }), 'INVALID_ARGUMENT', 'packs layout');
    expect(await contents(env.store)).toEqual(before2);
    await expectCode(backup(env, 'vol2', 't2', { layout: 'zip' as never }), 'INVALID_ARGUMENT', 'zip');
  });
});

describe('pack layout: damage', () => {
  it("restores from the packs' own headers when an index object is missing or corrupt", async () => {
    const env = await makeEnv();
    const { first, second } = await twoBackups(env);
    const [lost, broken] = env.store.keysUnder(indexDir('vol1'));
    await env.store.delete([lost!]);
    await env.store.put(broken!, Buffer.from('{"Packs": [{"Name": "not a pack"'));
    await restore(env, first.url, 'r1');
    await expectSameBytes(env, 'r1', 's1');
    await restore(env, second.url, 'r2');
    await expectSameBytes(env, 'r2', 's2');
  });

  it('fails a restore with NOT_FOUND naming the backup when a pack is gone, and CORRUPT when one is cut short, leaving no volume', async () => {
    const env = await makeEnv();
    const { first } = await twoBackups(env);
    const packs = env.store.keysUnder(packsDir('vol1'));
    for (const key of packs) await env.store.put(key, (await env.store.get(key))!.subarray(0, 1000));
    await expectCode(restore(env, first.url, 'r1'), 'CORRUPT', 'cut short', first.name);
    await env.store.delete(packs);
    await expectCode(restore(env, first.url, 'r1'), 'NOT_FOUND', first.name);
    expect(existsSync(env.source.volumePath('r1'))).toBe(false);
  });

  it("fails a restore with CORRUPT when a blob's bytes changed", async () => {
    const env = await makeEnv();
    const { first } = await twoBackups(env);
    for (const key of env.store.keysUnder(packsDir('vol1'))) {
      const bytes = (await env.store.get(key))!;
      bytes[100] = bytes[100]! ^ 0xff;
      await env.store.put(key, bytes);
    }
    await expectCode(restore(env, first.url, 'r1'), 'CORRUPT', first.name);
  });
});

describe('pack layout: encryption', () => {
  const key: UserKey = { kind: 'passphrase', secret: Buffer.from('correct horse battery staple') };
  const sealedEngine = createBackupEngine({ packs: { size: PACK }, encryptionKey: key });

  it('packs hold sealed blobs and a sealed header: no plaintext, no block name; tampering and swapping fail authentication', async () => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 4 * BLOCK_SIZE);
    const marker = Buffer.from('PLAINTEXT-MARKER-that-must-never-appear-in-the-store ');
    const text = Buffer.alloc(BLOCK_SIZE);
    for (let at = 0; at + marker.length <= text.length; at += marker.length) marker.copy(text, at);
    await env.source.writeVolume('vol1', 0, text);
    await env.source.writeVolume('vol1', BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.writeVolume('vol1', 2 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 's1');
    const args = {
      store: env.store,
      destUrl: env.destUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 's1'),
      ops: env.source,
      owner: 'h',
    };
    const summary = await sealedEngine.createBackup({ ...args, encrypt: true });
    const packKeys = env.store.keysUnder(packsDir('vol1'));
    const packs = await Promise.all(packKeys.map(async (key) => (await env.store.get(key))!));
    for (const pack of packs) {
      expect(pack.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
      expect(pack.includes(Buffer.from('Blobs'))).toBe(false);
      expect(pack.includes(Buffer.from('zstd'))).toBe(false);
    }
    const index = (await env.store.get(env.store.keysUnder(indexDir('vol1'))[0]!))!;
    expect(index.includes(Buffer.from('Packs'))).toBe(false);

    const restoreArgs = { store: env.store, backupName: summary.name, volumeName: 'vol1', driverName: 'image', ops: env.source, owner: 'h' };
    await sealedEngine.restoreBackup({ ...restoreArgs, request: { name: 'ok', options: {} } });
    await expectSameBytes(env, 'ok', 's1');

    // One flipped bit in a blob of every pack.
    for (const [i, pack] of packs.entries()) {
      const flipped = Buffer.from(pack);
      flipped[200] = flipped[200]! ^ 1;
      await env.store.put(packKeys[i]!, flipped);
    }
    await expectCode(sealedEngine.restoreBackup({ ...restoreArgs, request: { name: 'bad1', options: {} } }), 'CORRUPT', summary.name);
    expect((await verify(env, { deep: true }, sealedEngine)).problems.map((p) => p.kind)).toContain('corrupt-block');

    // A blob moved under another block's name (what a swap inside a pack amounts to) does not open.
    const cipher = blobCipher(randomBytes(32));
    const sealed = cipher.seal('a'.repeat(64), Buffer.from('block a'));
    expect(cipher.open('a'.repeat(64), sealed).toString()).toBe('block a');
    expect(() => cipher.open('b'.repeat(64), sealed)).toThrow(/modified, truncated or swapped/);
    expect(() => cipher.openHeader(sealed, 'p')).toThrow(/header of pack p/);
  });
});

function verify(env: Env, extra: { deep?: boolean; sample?: number } = {}, on = engine) {
  return on.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', ...extra });
}

function prune(env: Env, extra: { graceMs?: number; maxUnused?: number } = {}) {
  return engine.prune({ store: env.store, owner: 'pruner', graceMs: 0, ...extra });
}

describe('pack layout: verify', () => {
  it('passes a healthy pack store, quick and deep, reading each mapped block once', async () => {
    const env = await makeEnv();
    await twoBackups(env);
    expect(await verify(env)).toMatchObject({ ok: true, backups: 2, blocksReferenced: 7, problems: [] });
    expect(await verify(env, { deep: true })).toMatchObject({ ok: true, blocksRead: 7, problems: [] });
    const sampled = await verify(env, { deep: true, sample: 0.01 });
    expect(sampled.ok).toBe(true);
    expect(sampled.blocksRead).toBeGreaterThan(0);
  });

  it('names a corrupt index object, a pack cut short, a block missing from its pack, a flipped blob, and the backups they damage', async () => {
    const env = await makeEnv();
    const { first, second } = await twoBackups(env);
    const [indexA, indexB] = env.store.keysUnder(indexDir('vol1'));
    const intact = (await env.store.get(indexA!))!;
    await env.store.put(indexA!, intact.subarray(0, intact.length - 9));
    let report = await verify(env);
    expect(report.problems.map((p) => p.kind)).toEqual(['unreadable-index']);
    // The packs' own headers still say where every block is: no backup is damaged.
    expect(report.damagedBackups).toEqual([]);
    await env.store.put(indexA!, intact);

    // The second backup's own pack (one block) cut short: quick verify sees the size.
    type IndexJson = { Packs: Array<{ Name: string; Blobs: Array<{ Name: string }> }> };
    const packsOf = async (key: string) => (JSON.parse((await env.store.get(key))!.toString()) as IndexJson).Packs;
    const listed = [...(await packsOf(indexA!)), ...(await packsOf(indexB!))];
    const small = listed.find((p) => p.Blobs.length === 1)!;
    const smallKey = env.store.keysUnder(packsDir('vol1')).find((k) => k.includes(small.Name))!;
    const smallBytes = (await env.store.get(smallKey))!;
    await env.store.put(smallKey, smallBytes.subarray(0, smallBytes.length - 3));
    report = await verify(env);
    expect(report.problems.map((p) => p.kind)).toEqual(['corrupt-pack']);
    expect(report.damagedBackups).toEqual([second.url]);
    await env.store.put(smallKey, smallBytes);

    // A blob flipped inside a big pack: only deep verify reads it.
    const big = listed.find((p) => p.Blobs.length > 1)!;
    const bigKey = env.store.keysUnder(packsDir('vol1')).find((k) => k.includes(big.Name))!;
    const bigBytes = (await env.store.get(bigKey))!;
    const flipped = Buffer.from(bigBytes);
    flipped[10] = flipped[10]! ^ 0x55;
    await env.store.put(bigKey, flipped);
    expect((await verify(env)).ok).toBe(true);
    report = await verify(env, { deep: true });
    expect(report.problems.map((p) => p.kind)).toEqual(['corrupt-block']);
    expect(report.damagedBackups).toContain(first.url);
    await env.store.put(bigKey, bigBytes);

    // A pack gone, and no index object or header anywhere that still lists its blocks.
    const holder = (await packsOf(indexA!)).some((p) => p.Name === big.Name) ? indexA! : indexB!;
    await env.store.delete([bigKey, holder]);
    report = await verify(env);
    expect(report.problems.map((p) => p.kind)).toContain('missing-block');
    expect(report.damagedBackups).toContain(first.url);
  });
});

describe('pack layout: prune', () => {
  it('deletes wholly unused packs, rewrites mostly unused ones, leaves one index, and every surviving backup restores exactly', async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 8, 's1');
    const first = await backup(env, 'vol1', 's1');
    // The second backup shares 2 of 8 blocks with the first: after the first is deleted, most of its packs are unused.
    for (let i = 2; i < 8; i += 1) await env.source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 's2');
    const second = await backup(env, 'vol1', 's2');
    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, backupName: first.name, volumeName: 'vol1', owner: 'h' });
    const packsBefore = env.store.keysUnder(packsDir('vol1')).length;
    const bytesBefore = storedBytes(env.store, packsDir('vol1'));

    const report = await prune(env);
    expect(report.packsRemoved! + report.packsRewritten!).toBeGreaterThan(0);
    expect(report.bytesRemoved).toBeGreaterThan(0);
    expect(env.store.keysUnder(indexDir('vol1'))).toHaveLength(1);
    // What stays is about what the remaining backup maps (8 blocks), not the 14 stored before.
    expect(storedBytes(env.store, packsDir('vol1'))).toBeLessThan(bytesBefore * 0.75);
    expect(env.store.keysUnder(packsDir('vol1')).length).toBeLessThanOrEqual(packsBefore);
    expect(await verify(env, { deep: true })).toMatchObject({ ok: true, problems: [] });
    await restore(env, second.url, 'r2');
    await expectSameBytes(env, 'r2', 's2');

    // A second prune finds nothing to do and writes nothing.
    const before = await contents(env.store);
    const again = await prune(env);
    expect(again).toMatchObject({ packsRemoved: 0, packsRewritten: 0 });
    expect(await contents(env.store)).toEqual(before);
  });

  it("keeps young packs nobody lists (a running backup's) and removes old ones a crashed backup left", async () => {
    const env = await makeEnv();
    await randomVolume(env, 'vol1', 3, 's1');
    const first = await backup(env, 'vol1', 's1');
    // A backup that died after its packs, before its index and record: its packs are listed nowhere.
    await env.source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 's2');
    const indexes = new Set(env.store.keysUnder(indexDir('vol1')));
    const packs = new Set(env.store.keysUnder(packsDir('vol1')));
    const crashed = await backup(env, 'vol1', 's2');
    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, backupName: crashed.name, volumeName: 'vol1', owner: 'h' });
    await env.store.delete(env.store.keysUnder(indexDir('vol1')).filter((k) => !indexes.has(k)));
    const orphans = env.store.keysUnder(packsDir('vol1')).filter((k) => !packs.has(k));
    expect(orphans).toHaveLength(1);

    // Everything is young: nothing is removed, rewritten or even listed anew.
    expect(await prune(env, { graceMs: 3_600_000 })).toMatchObject({
      packsRemoved: 0,
      packsRewritten: 0,
      packsKeptForGrace: env.store.keysUnder(packsDir('vol1')).length,
    });
    expect(env.store.keysUnder(packsDir('vol1'))).toContain(orphans[0]);
    await prune(env);
    expect(env.store.keysUnder(packsDir('vol1'))).not.toContain(orphans[0]);
    await restore(env, first.url, 'r1');
    await expectSameBytes(env, 'r1', 's1');
  });

  it('refuses a nonsense unused share before touching anything', async () => {
    const env = await makeEnv();
    for (const bad of [-0.1, 1.5, Number.NaN]) await expectCode(prune(env, { maxUnused: bad }), 'INVALID_ARGUMENT', 'unused share');
  });
});
