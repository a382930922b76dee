import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DeltaBlockBackupOps } from '@convoy/core';
import { COMPRESSION_METHODS, type CompressionMethod, type ErrorCode, isConvoyError, type Progress } from '@convoy/core';
import { copyDirectoryIntoStore, ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, backupConfigKey, blockKey, blocksDir, deletionJournalKey, locksDir, volumeConfigKey, volumeDir } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, StoreLock } from './store-lock.js';
import { parseBackupUrl } from './url.js';

const MiB = 1024 * 1024;
const engine = createBackupEngine();

interface Env {
  store: MemoryObjectStore;
  source: ImageSource;
  destUrl: string;
}

const scratch = await tempDir('convoy-engine-');

async function makeEnv(): Promise<Env> {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const destUrl = 'mem://engine-test';
  return { store: new MemoryObjectStore(destUrl), source: await ImageSource.open(path.join(dir, 'images')), destUrl };
}

function backupArgs(env: Env, volume: string, snapshot: string) {
  return {
    store: env.store,
    destUrl: env.destUrl,
    driverName: 'image',
    volume: env.source.volumeRecord(volume),
    snapshot: env.source.snapshotRecord(volume, snapshot),
    ops: env.source,
    owner: 'test-host/1',
    layout: 'convoy-v0.5' as const,
  };
}

function backup(env: Env, volume: string, snapshot: string, extra: { compression?: CompressionMethod; onProgress?: (p: Progress) => void } = {}) {
  return engine.createBackup({ ...backupArgs(env, volume, snapshot), ...extra });
}

function restore(env: Env, url: string, newName: string, size?: number) {
  const { backupName, volumeName } = parseBackupUrl(url);
  return engine.restoreBackup({
    store: env.store,
    backupName,
    volumeName,
    driverName: 'image',
    ops: env.source,
    request: { name: newName, size, options: {} },
    owner: 'test-host/1',
  });
}

async function expectSameBytes(env: Env, restored: string, snapshot: string): Promise<void> {
  const [a, b] = await Promise.all([readFile(env.source.volumePath(restored)), readFile(env.source.snapshotPath(snapshot))]);
  expect(a.length).toBe(b.length);
  expect(a.equals(b)).toBe(true);
}

async function blockFiles(env: Env, volume: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of env.store.list(blocksDir(volume))) keys.push(path.basename(info.key, '.blk'));
  return keys.sort();
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, ...mentions: string[]): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isConvoyError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  for (const text of mentions) expect((err as Error).message).toContain(text);
}

/** Writes random data into whole blocks `blocks` of the volume. */
async function writeBlocks(env: Env, volume: string, blocks: number[], fill?: Buffer): Promise<void> {
  for (const i of blocks) await env.source.writeVolume(volume, i * BLOCK_SIZE, fill ?? randomBytes(BLOCK_SIZE));
}

/** A volume of `size` bytes with random data in whole blocks `blocks`, and a snapshot of it. */
async function volumeWithSnapshot(env: Env, volume: string, size: number, blocks: number[], snapshot: string): Promise<void> {
  await env.source.createVolume(volume, size);
  await writeBlocks(env, volume, blocks);
  await env.source.snapshot(volume, snapshot);
}

describe('backup engine, delta-block mode, on a vfs store', () => {
  it('backs up and restores bit-exact, in Convoy v0.5 format', async () => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 16 * MiB);
    await writeBlocks(env, 'vol1', [0, 3]);
    await env.source.writeVolume('vol1', 5 * BLOCK_SIZE + 12345, Buffer.from('a short write in the middle of block 5'));
    await env.source.writeVolume('vol1', 7 * BLOCK_SIZE, Buffer.alloc(BLOCK_SIZE));
    await env.source.snapshot('vol1', 'snap1');

    const progress: Progress[] = [];
    const summary = await backup(env, 'vol1', 'snap1', { onProgress: (p) => progress.push(p) });
    // A first backup finds the block tree empty: no block needs a HEAD.
    expect(env.store.stats.head).toBe(0);
    expect(summary).toMatchObject({
      volumeName: 'vol1',
      volumeSize: 16 * MiB,
      snapshotName: 'snap1',
      mode: 'delta-block',
      compression: 'zstd',
      blockCount: 4,
      driver: 'image',
    });
    expect(summary.url).toBe(`${env.destUrl}?backup=${summary.name}&volume=vol1`);
    expect(summary.name).toMatch(/^backup-[0-9a-f]{16}$/);
    expect(progress.at(-1)).toEqual({ phase: 'backup', doneBytes: 4 * BLOCK_SIZE, totalBytes: 4 * BLOCK_SIZE });

    // Convoy's records: compact JSON, Go field names in Go's order, RubyDate times.
    const volumeCfg = JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString());
    expect(Object.keys(volumeCfg)).toEqual(['Name', 'Driver', 'Size', 'CreatedTime', 'LastBackupName']);
    expect(volumeCfg).toMatchObject({ Name: 'vol1', Driver: 'image', Size: 16 * MiB, LastBackupName: summary.name });
    const recordText = (await env.store.get(backupConfigKey('vol1', summary.name)))!.toString();
    const record = JSON.parse(recordText);
    expect(recordText).not.toContain('\n');
    expect(Object.keys(record).slice(0, 8)).toEqual([
      'Name',
      'Driver',
      'VolumeName',
      'SnapshotName',
      'SnapshotCreatedAt',
      'CreatedTime',
      'Blocks',
      'SingleFile',
    ]);
    expect(record.CreatedTime).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0000 \d{4}$/);
    expect(record.SingleFile).toEqual({ FilePath: '' });
    expect(record.Blocks.map((b: { Offset: number }) => b.Offset)).toEqual([0, 3, 5, 7].map((i) => i * BLOCK_SIZE));
    expect(record.CompressionMethod).toBe('zstd');
    expect(env.store.keysUnder('convoy-objectstore/volumes/vo/l1/vol1/locks/')).toEqual([]);

    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
  });

  it('restores sparse: blocks of zeros and unmapped extents are neither fetched nor written, and stay holes', async () => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 16 * MiB);
    await writeBlocks(env, 'vol1', [0, 5]);
    // Mapped, but zeros (what a database's preallocated file leaves): still in the block map.
    await writeBlocks(env, 'vol1', [1, 2, 3], Buffer.alloc(BLOCK_SIZE));
    await env.source.snapshot('vol1', 'snap1');
    const summary = await backup(env, 'vol1', 'snap1');
    expect(summary.blockCount).toBe(5);

    const gets = vi.spyOn(env.store, 'get');
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
    // Two block GETs (blocks 0 and 5); the zero block is known by name.
    expect(gets.mock.calls.filter(([key]) => key.endsWith('.blk'))).toHaveLength(2);
    gets.mockRestore();
    // Only blocks 0 and 5 take space: zeros (1-3) and unmapped blocks (4, 6, 7) are holes. A
    // dense restore would allocate all 16 MiB.
    const { blocks, size } = await stat(env.source.volumePath('restored'));
    expect(size).toBe(16 * MiB);
    expect(blocks * 512).toBeGreaterThanOrEqual(2 * BLOCK_SIZE);
    expect(blocks * 512).toBeLessThanOrEqual(2 * BLOCK_SIZE + 256 * 1024);
  });

  it('cuts a volume into its own block size, set at its first backup: an incremental uploads only the small blocks that changed inside 2 MiB extents', async () => {
    const env = await makeEnv();
    const KiB64 = 64 * 1024;
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1, 3], 'snap1');
    const first = await engine.createBackup({ ...backupArgs(env, 'vol1', 'snap1'), blockSize: KiB64 });
    expect(first.blockCount).toBe(3 * 32);
    expect(JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString())).toMatchObject({ BlockSize: KiB64 });
    expect(JSON.parse((await env.store.get(backupConfigKey('vol1', first.name)))!.toString())).toMatchObject({ BlockSize: KiB64 });

    // Two 64 KiB writes inside block 1: the source reports that whole 2 MiB extent as changed.
    await env.source.writeVolume('vol1', BLOCK_SIZE + 5 * KiB64, randomBytes(KiB64));
    await env.source.writeVolume('vol1', BLOCK_SIZE + 9 * KiB64 + 100, Buffer.from('a short write'));
    await env.source.snapshot('vol1', 'snap2');
    const puts = env.store.stats.put;
    // No block size asked: the volume's own applies.
    const second = await backup(env, 'vol1', 'snap2');
    expect(env.store.stats.put - puts).toBe(2 + 4);
    // Two random 64 KiB blocks (the short write lands in one), not the 2 MiB extent.
    expect(second.uploadedBytes).toBeLessThan(2 * KiB64 + 8192);
    expect(second.blockCount).toBe(3 * 32);

    await restore(env, second.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap2');
    await restore(env, first.url, 'restored1');
    await expectSameBytes(env, 'restored1', 'snap1');
  });

  it("refuses to mix block sizes in a volume's chain, and block sizes that are not a power of two from 64 KiB to 2 MiB, changing nothing", async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 4 * MiB, [0], 'snap1');
    await backup(env, 'vol1', 'snap1');
    const listing = async () => {
      const keys: string[] = [];
      for await (const info of env.store.list('')) keys.push(`${info.key}:${info.size}`);
      return keys.sort();
    };
    const before = await listing();
    await env.source.snapshot('vol1', 'snap2');
    await expectCode(engine.createBackup({ ...backupArgs(env, 'vol1', 'snap2'), blockSize: 256 * 1024 }), 'INVALID_ARGUMENT', '2097152-byte blocks', '262144');
    for (const bad of [4096, 3 * 65536, 4 * MiB, 0.5]) {
      await expectCode(engine.createBackup({ ...backupArgs(env, 'vol1', 'snap2'), blockSize: bad }), 'INVALID_ARGUMENT', 'power of two');
    }
    // The 2 MiB a Convoy v0.5 volume has is the size asked for: fine.
    expect(await listing()).toEqual(before);
    await engine.createBackup({ ...backupArgs(env, 'vol1', 'snap2'), blockSize: BLOCK_SIZE });
  });

  it('refuses a block size that does not divide the blocks the driver reports changes in', async () => {
    const env = await makeEnv();
    const fine = await ImageSource.open(path.join(env.source.dir, '..', 'fine'), { blockSize: 256 * 1024 });
    await fine.createVolume('vol1', 4 * MiB);
    await fine.writeVolume('vol1', 0, randomBytes(256 * 1024));
    await fine.snapshot('vol1', 'snap1');
    const args = {
      store: env.store,
      destUrl: env.destUrl,
      driverName: 'image',
      volume: fine.volumeRecord('vol1'),
      snapshot: fine.snapshotRecord('vol1', 'snap1'),
      ops: fine,
      owner: 'test-host/1',
    };
    await expectCode(engine.createBackup(args), 'INVALID_ARGUMENT', '262144-byte blocks', '2097152-byte backup blocks');
  });

  it('pads short volume names with ! as Convoy did', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'ab', 4 * MiB, [1], 'snap-ab');
    await backup(env, 'ab', 'snap-ab');
    expect(volumeDir('ab')).toBe('convoy-objectstore/volumes/ab/!!/ab!!/');
    expect((await env.store.listDir('convoy-objectstore/volumes/ab/!!/ab!!/')).files).toContain('volume.cfg');
  });

  it('uploads only the changed blocks in an incremental backup, with O(changed) requests', async () => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 40 * MiB);
    await writeBlocks(
      env,
      'vol1',
      Array.from({ length: 20 }, (_, i) => i),
    );
    await env.source.snapshot('vol1', 'snap1');
    const first = await backup(env, 'vol1', 'snap1');
    expect(await blockFiles(env, 'vol1')).toHaveLength(20);

    await writeBlocks(env, 'vol1', [4]);
    await env.source.snapshot('vol1', 'snap2');
    const before = { ...env.store.stats };
    const second = await backup(env, 'vol1', 'snap2');
    const delta = Object.fromEntries(Object.entries(env.store.stats).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
    // 1 block + lock intent + lock acquired + backup record + volume record.
    expect(delta.put).toBe(5);
    // No HEAD: the other 19 blocks are known from the last record, and the new one is PUT.
    expect(delta.head).toBe(0);
    // Two listings of the locks directory and nothing else: the last record says what is
    // stored, so neither a walk of the block tree nor a look for any block.
    expect(delta.list).toBe(2);
    expect(await blockFiles(env, 'vol1')).toHaveLength(21);
    expect(second.blockCount).toBe(20);
    expect(second.uploadedBlocks).toBe(1);
    expect(second.uploadedBytes).toBeGreaterThan(BLOCK_SIZE);
    expect(second.uploadedBytes).toBeLessThan(BLOCK_SIZE + 4096);

    await restore(env, second.url, 'restored2');
    await expectSameBytes(env, 'restored2', 'snap2');
    await restore(env, first.url, 'restored1');
    await expectSameBytes(env, 'restored1', 'snap1');
  });

  it('stores identical blocks once', async () => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 16 * MiB);
    const same = randomBytes(BLOCK_SIZE);
    await writeBlocks(env, 'vol1', [0, 1, 2, 5, 6], same);
    await writeBlocks(env, 'vol1', [3, 4], Buffer.alloc(BLOCK_SIZE));
    await env.source.snapshot('vol1', 'snap1');
    const summary = await backup(env, 'vol1', 'snap1');
    expect(summary.blockCount).toBe(7);
    expect(await blockFiles(env, 'vol1')).toHaveLength(2);
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
  });

  it('falls back to a full compare when the base snapshot is gone, without merging stale blocks', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 16 * MiB, [0, 1, 2, 3], 'snap1');
    await backup(env, 'vol1', 'snap1');

    await env.source.discardVolume('vol1', { offset: 3 * BLOCK_SIZE, length: BLOCK_SIZE });
    await writeBlocks(env, 'vol1', [1]);
    await env.source.snapshot('vol1', 'snap2');
    await env.source.deleteSnapshot('vol1', 'snap1');
    const before = env.store.stats.put;
    const second = await backup(env, 'vol1', 'snap2');
    // Blocks 0 and 2 were known from the last record: only block 1 is new.
    expect(env.store.stats.put - before).toBe(5);
    const record = JSON.parse((await env.store.get(backupConfigKey('vol1', second.name)))!.toString());
    expect(record.Blocks.map((b: { Offset: number }) => b.Offset / BLOCK_SIZE)).toEqual([0, 1, 2]);
    await restore(env, second.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap2');
  });

  it("does a full compare when the local snapshot of the last backup's name is another snapshot (another host, or cut again)", async () => {
    const hostA = await makeEnv();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2021-03-04T05:06:07.400Z'));
      await volumeWithSnapshot(hostA, 'vol1', 12 * MiB, [0, 1, 2, 3], 's1');
    } finally {
      vi.useRealTimers();
    }
    await backup(hostA, 'vol1', 's1');

    // Host B shares the store; its own vol1 holds other data under the same snapshot name.
    const hostB: Env = { ...hostA, source: await ImageSource.open(await mkdtemp(path.join(scratch, 'host-b-'))) };
    await volumeWithSnapshot(hostB, 'vol1', 12 * MiB, [0, 1, 2, 3], 's1');
    await writeBlocks(hostB, 'vol1', [5]);
    await hostB.source.snapshot('vol1', 's2');
    const second = await backup(hostB, 'vol1', 's2');

    // Diffed against host B's s1, only block 5 would be read and host A's blocks 0-3 merged in.
    const record = JSON.parse((await hostB.store.get(backupConfigKey('vol1', second.name)))!.toString());
    expect(record.Blocks.map((b: { Offset: number }) => b.Offset / BLOCK_SIZE)).toEqual([0, 1, 2, 3, 5]);
    expect(second.uploadedBytes).toBeGreaterThan(4 * BLOCK_SIZE);
    await restore(hostB, second.url, 'restored');
    await expectSameBytes(hostB, 'restored', 's2');
  });

  it('incremental over a discard records the zeroed block, so the restore is exact', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1, 2], 'snap1');
    await backup(env, 'vol1', 'snap1');
    await env.source.discardVolume('vol1', { offset: BLOCK_SIZE, length: BLOCK_SIZE });
    await env.source.snapshot('vol1', 'snap2');
    const second = await backup(env, 'vol1', 'snap2');
    await restore(env, second.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap2');
  });

  it('restores every backup of a chain alone after the others are deleted, then removes the volume', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 12 * MiB, [0, 1, 2], 's1');
    const b1 = await backup(env, 'vol1', 's1');
    await writeBlocks(env, 'vol1', [1, 4]);
    await env.source.snapshot('vol1', 's2');
    const b2 = await backup(env, 'vol1', 's2');
    await writeBlocks(env, 'vol1', [0, 5]);
    await env.source.snapshot('vol1', 's3');
    const b3 = await backup(env, 'vol1', 's3');

    const del = (url: string) => engine.deleteBackup({ store: env.store, destUrl: env.destUrl, ...parseBackupUrl(url), owner: 'test-host/1' });
    await del(b1.url);
    await del(b3.url);
    expect((await engine.listBackups({ store: env.store, destUrl: env.destUrl })).map((b) => b.name)).toEqual([b2.name]);
    await restore(env, b2.url, 'only-b2');
    await expectSameBytes(env, 'only-b2', 's2');
    // Exactly b2's blocks are left: b1's block 1, b3's blocks 0 and 5 are gone.
    const b2Record = JSON.parse((await env.store.get(backupConfigKey('vol1', b2.name)))!.toString());
    expect(await blockFiles(env, 'vol1')).toEqual([...new Set(b2Record.Blocks.map((b: { BlockChecksum: string }) => b.BlockChecksum))].sort());

    await del(b2.url);
    expect(env.store.keysUnder('convoy-objectstore/')).toEqual([]);
    await expectCode(del(b2.url), 'NOT_FOUND', b2.name);
  });

  it('deleting a backup keeps blocks other backups use and removes the rest', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1], 's1');
    const b1 = await backup(env, 'vol1', 's1');
    const [shared, replaced] = JSON.parse((await env.store.get(backupConfigKey('vol1', b1.name)))!.toString()).Blocks.map(
      (b: { BlockChecksum: string }) => b.BlockChecksum,
    );
    await writeBlocks(env, 'vol1', [1]);
    await env.source.snapshot('vol1', 's2');
    const b2 = await backup(env, 'vol1', 's2');
    const added = JSON.parse((await env.store.get(backupConfigKey('vol1', b2.name)))!.toString()).Blocks[1].BlockChecksum;

    const before = env.store.stats.list;
    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, backupName: b1.name, volumeName: 'vol1', owner: 'test-host/1' });
    // Mark from the remaining records, sweep the candidates: no walk of the block tree
    // (two listings of locks/, one of backups/).
    expect(env.store.stats.list - before).toBe(3);
    expect(await blockFiles(env, 'vol1')).toEqual([shared, added].sort());
    expect(await blockFiles(env, 'vol1')).not.toContain(replaced);
    const volumeCfg = JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString());
    expect(volumeCfg.LastBackupName).toBe(b2.name);
    await restore(env, b2.url, 'restored');
    await expectSameBytes(env, 'restored', 's2');
  });

  it('keeps vol1 and vol10 apart: deleting vol1 leaves every object of vol10', async () => {
    const env = await makeEnv();
    for (const name of ['vol1', 'vol10']) {
      await volumeWithSnapshot(env, name, 4 * MiB, [0, 1], `${name}-snap`);
    }
    const b1 = await backup(env, 'vol1', 'vol1-snap');
    const b10 = await backup(env, 'vol10', 'vol10-snap');
    const vol10Keys: string[] = [];
    for await (const info of env.store.list(volumeDir('vol10'))) vol10Keys.push(info.key);

    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, backupName: b1.name, volumeName: 'vol1', owner: 'test-host/1' });
    const left: string[] = [];
    for await (const info of env.store.list('convoy-objectstore/')) left.push(info.key);
    expect(left).toEqual(vol10Keys);
    await restore(env, b10.url, 'restored10');
    await expectSameBytes(env, 'restored10', 'vol10-snap');
  });

  it('keeps a v0.5 volume in the compression of its backups: another is refused with nothing written, none given takes it, and every backup restores', async () => {
    // v0.5 names a block by its plaintext, so an incremental reuses blocks stored by earlier
    // backups: a record naming another codec than its shared blocks' could not be restored.
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1, 2], 'snap1');
    const first = await backup(env, 'vol1', 'snap1', { compression: 'gzip' });
    await writeBlocks(env, 'vol1', [3]);
    await env.source.snapshot('vol1', 'snap2');
    const before = env.store.keysUnder('');
    await expectCode(backup(env, 'vol1', 'snap2', { compression: 'zstd' }), 'INVALID_ARGUMENT', 'vol1', 'gzip compression', 'leave --compression out');
    expect(env.store.keysUnder('')).toEqual(before);
    const second = await backup(env, 'vol1', 'snap2');
    expect(second.compression).toBe('gzip');
    for (const [summary, snapshot] of [
      [first, 'snap1'],
      [second, 'snap2'],
    ] as const) {
      await restore(env, summary.url, `restored-${snapshot}`);
      await expectSameBytes(env, `restored-${snapshot}`, snapshot);
    }
  });

  it('overwrites block objects no backup vouches for when a v0.5 volume starts in another compression', async () => {
    // A first backup in gzip failed after storing a block: no backup names it, so a zstd backup
    // must store that block again rather than take the gzip object for its own by name.
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1], 'snap1');
    const failed = engine.createBackup({ ...backupArgs(env, 'vol1', 'snap1'), compression: 'gzip', ops: failingAfter(env.source, 1), concurrency: 1 });
    await expect(failed).rejects.toThrow(/device went away/);
    expect(await blockFiles(env, 'vol1')).toHaveLength(1);
    const second = await backup(env, 'vol1', 'snap1', { compression: 'zstd' });
    await restore(env, second.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
  });

  it.each(COMPRESSION_METHODS)('round-trips with %s compression and records it', async (method) => {
    const env = await makeEnv();
    await env.source.createVolume('vol1', 6 * MiB);
    await writeBlocks(env, 'vol1', [0, 2]);
    await env.source.writeVolume('vol1', BLOCK_SIZE, Buffer.alloc(BLOCK_SIZE, 'compressible text '));
    await env.source.snapshot('vol1', 'snap1');
    const summary = await backup(env, 'vol1', 'snap1', { compression: method });
    expect(summary.compression).toBe(method);
    expect(JSON.parse((await env.store.get(backupConfigKey('vol1', summary.name)))!.toString()).CompressionMethod).toBe(method);
    await restore(env, summary.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
  });

  it('lists and inspects backups; a volume or backup not in the store is NOT_FOUND', async () => {
    const env = await makeEnv();
    for (const name of ['alpha', 'beta']) {
      await volumeWithSnapshot(env, name, 4 * MiB, [0], `${name}-1`);
      await backup(env, name, `${name}-1`);
      await env.source.snapshot(name, `${name}-2`);
      await backup(env, name, `${name}-2`);
    }
    const all = await engine.listBackups({ store: env.store, destUrl: env.destUrl });
    // By volume, then by creation time (Convoy's times have whole seconds: ties in any order).
    expect(all.map((b) => b.volumeName)).toEqual(['alpha', 'alpha', 'beta', 'beta']);
    expect(all.map((b) => `${b.volumeName}/${b.snapshotName}`).sort()).toEqual(['alpha/alpha-1', 'alpha/alpha-2', 'beta/beta-1', 'beta/beta-2']);
    const beta = await engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'beta' });
    expect(beta).toHaveLength(2);
    const inspected = await engine.inspectBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'beta', backupName: beta[0]!.name });
    expect(inspected).toEqual(beta[0]);
    expect(inspected.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await expectCode(engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'gamma' }), 'NOT_FOUND', 'gamma');
    await expectCode(
      engine.inspectBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'beta', backupName: 'backup-0000000000000000' }),
      'NOT_FOUND',
      'backup-0000000000000000',
    );
  });
});

describe('backup engine, restore faults', () => {
  async function backedUp() {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0, 1, 2], 'snap1');
    const summary = await backup(env, 'vol1', 'snap1');
    const record = JSON.parse((await env.store.get(backupConfigKey('vol1', summary.name)))!.toString());
    return { env, summary, victim: record.Blocks[1] as { Offset: number; BlockChecksum: string } };
  }

  async function expectNothingRestored(env: Env, name: string): Promise<void> {
    await expect(readFile(env.source.volumePath(name))).rejects.toThrow(/ENOENT/);
    expect(await readdir(path.join(env.source.dir, 'restoring'))).toEqual([]);
  }

  it('a corrupted block fails the restore naming the block, its offset and the backup', async () => {
    const { env, summary, victim } = await backedUp();
    const key = blockKey('vol1', victim.BlockChecksum);
    // A valid zstd frame of other bytes: it decompresses, then fails verification.
    const { compress } = await import('@mongodb-js/zstd');
    await env.store.put(key, await compress(randomBytes(BLOCK_SIZE)));
    await expectCode(restore(env, summary.url, 'restored'), 'CORRUPT', victim.BlockChecksum, String(victim.Offset), summary.name);
    await expectNothingRestored(env, 'restored');

    await env.store.put(key, Buffer.from('not zstd at all'));
    await expectCode(restore(env, summary.url, 'restored'), 'CORRUPT', victim.BlockChecksum, summary.name);
    await expectNothingRestored(env, 'restored');
  });

  it('a missing block fails the restore naming it', async () => {
    const { env, summary, victim } = await backedUp();
    await env.store.delete([`${blocksDir('vol1')}${victim.BlockChecksum.slice(0, 2)}/${victim.BlockChecksum.slice(2, 4)}/${victim.BlockChecksum}.blk`]);
    await expectCode(restore(env, summary.url, 'restored'), 'NOT_FOUND', victim.BlockChecksum, String(victim.Offset), summary.name);
    await expectNothingRestored(env, 'restored');
  });

  it('refuses a size smaller than the backup, and restores into a larger one', async () => {
    const { env, summary } = await backedUp();
    await expectCode(restore(env, summary.url, 'small', 4 * MiB), 'INVALID_ARGUMENT', 'too small');
    await expectNothingRestored(env, 'small');
    await restore(env, summary.url, 'large', 16 * MiB);
    const restored = await readFile(env.source.volumePath('large'));
    expect(restored.length).toBe(16 * MiB);
    expect(restored.subarray(0, 8 * MiB).equals(await readFile(env.source.snapshotPath('snap1')))).toBe(true);
  });
});

describe('backup engine, bad input changes nothing', () => {
  it('refuses bad names, methods, concurrency, modes and drivers', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 4 * MiB, [0], 'snap1');
    const good = await backup(env, 'vol1', 'snap1');
    const snapshot = env.source.snapshotRecord('vol1', 'snap1');
    const base = { store: env.store, destUrl: env.destUrl, driverName: 'image', ops: env.source, owner: 'o' };
    const listing = async () => {
      const keys: string[] = [];
      for await (const info of env.store.list('')) keys.push(`${info.key}:${info.size}`);
      return keys;
    };
    const before = await listing();

    await expectCode(engine.createBackup({ ...base, volume: { ...env.source.volumeRecord('vol1'), name: '../x' }, snapshot }), 'INVALID_ARGUMENT', '../x');
    await expectCode(
      engine.createBackup({ ...base, volume: env.source.volumeRecord('vol1'), snapshot, compression: 'zip' as never }),
      'INVALID_ARGUMENT',
      'zip',
    );
    await expectCode(engine.createBackup({ ...base, volume: env.source.volumeRecord('vol1'), snapshot, concurrency: 0 }), 'INVALID_ARGUMENT', 'concurrency');
    await expectCode(
      engine.createBackup({ ...base, volume: env.source.volumeRecord('vol1'), snapshot: { ...snapshot, volumeName: 'other' } }),
      'INVALID_ARGUMENT',
      'other',
    );
    await expectCode(
      engine.createBackup({ ...base, driverName: 'vfs', volume: env.source.volumeRecord('vol1'), snapshot }),
      'INVALID_ARGUMENT',
      'driver image',
    );
    const restoreBase = { store: env.store, volumeName: 'vol1', backupName: good.name, ops: env.source, owner: 'o', request: { name: 'new-vol', options: {} } };
    await expectCode(engine.restoreBackup({ ...restoreBase, driverName: 'devicemapper' }), 'INVALID_ARGUMENT', 'driver image');
    const singleFileOps = {
      mode: 'single-file' as const,
      exportSnapshot: async () => {
        throw new Error('unused');
      },
      importVolume: async () => {
        throw new Error('unused');
      },
    };
    await expectCode(engine.restoreBackup({ ...restoreBase, driverName: 'image', ops: singleFileOps }), 'INVALID_ARGUMENT', 'delta-block');
    await expectCode(engine.restoreBackup({ ...restoreBase, driverName: 'image', request: { name: 'vol1', options: {} } }), 'ALREADY_EXISTS', 'vol1');
    await expectCode(engine.restoreBackup({ ...restoreBase, driverName: 'image', backupName: 'a/../../b' }), 'INVALID_ARGUMENT');
    await expectCode(
      engine.deleteBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', backupName: 'backup-ffffffffffffffff', owner: 'o' }),
      'NOT_FOUND',
    );
    await expectCode(engine.prune({ store: env.store, owner: 'o', graceMs: -1 }), 'INVALID_ARGUMENT');

    expect(await listing()).toEqual(before);
  });
});

/** The image source, with snapshot reads failing after `reads` blocks: a backup dying mid-way. */
function failingAfter(source: ImageSource, reads: number): DeltaBlockBackupOps {
  let left = reads;
  return source.withReadHook(async () => {
    if (left-- <= 0) throw new Error('injected: the device went away');
  });
}

describe('backup engine, leftovers of failed operations and prune', () => {
  async function withOrphans() {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 16 * MiB, [0, 1], 'snap1');
    const kept = await backup(env, 'vol1', 'snap1');
    await writeBlocks(env, 'vol1', [2, 3, 4, 5, 6, 7]);
    await env.source.snapshot('vol1', 'snap2');
    // One worker, so exactly three new blocks are uploaded before the read fails.
    await expect(engine.createBackup({ ...backupArgs(env, 'vol1', 'snap2'), ops: failingAfter(env.source, 3), concurrency: 1 })).rejects.toThrow(
      /device went away/,
    );
    return { env, kept };
  }

  it('a failed backup is not listed, holds no lock, and the same backup then succeeds reusing its blocks', async () => {
    const { env, kept } = await withOrphans();
    expect((await engine.listBackups({ store: env.store, destUrl: env.destUrl })).map((b) => b.name)).toEqual([kept.name]);
    expect(env.store.keysUnder(locksDir('vol1'))).toEqual([]);
    expect(await blockFiles(env, 'vol1')).toHaveLength(5);
    const before = env.store.stats.put;
    const heads = vi.spyOn(env.store, 'head');
    const rerun = await backup(env, 'vol1', 'snap2');
    // With the last backup's map to go by, the six changed blocks are PUT without a HEAD: the
    // three the failed run left are written again with the same bytes (their names are their
    // content), which costs less than a HEAD for every new block of every incremental. (The
    // one HEAD is the record cache's: the last backup's record, cached, was not deleted.)
    expect(heads.mock.calls.map(([key]) => key).filter((key) => key.endsWith('.blk'))).toEqual([]);
    heads.mockRestore();
    expect(env.store.stats.put - before).toBe(6 + 4);
    await restore(env, rerun.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap2');
  });

  it('prune sweeps unreferenced blocks past the grace period and keeps everything a backup uses', async () => {
    const { env, kept } = await withOrphans();
    const young = await engine.prune({ store: env.store, owner: 'o' });
    expect(young).toMatchObject({ volumes: 1, blocksScanned: 5, blocksRemoved: 0, blocksKeptForGrace: 3, skippedVolumes: [] });
    const swept = await engine.prune({ store: env.store, owner: 'o', graceMs: 0 });
    expect(swept).toMatchObject({ volumes: 1, blocksScanned: 5, blocksRemoved: 3, blocksKeptForGrace: 0 });
    expect(swept.bytesRemoved).toBeGreaterThan(3 * BLOCK_SIZE);
    expect(await blockFiles(env, 'vol1')).toHaveLength(2);
    await restore(env, kept.url, 'restored');
    await expectSameBytes(env, 'restored', 'snap1');
  });

  it('prune removes a volume left with no backups, and the journal of a delete that died', async () => {
    const env = await makeEnv();
    await volumeWithSnapshot(env, 'vol1', 8 * MiB, [0], 'snap1');
    await expect(engine.createBackup({ ...backupArgs(env, 'vol1', 'snap1'), ops: failingAfter(env.source, 0) })).rejects.toThrow(/device went away/);
    await env.store.put(deletionJournalKey('vol1', 'backup-00000000000000dd'), Buffer.from('{}'));
    const report = await engine.prune({ store: env.store, owner: 'o', graceMs: 0 });
    expect(report.volumes).toBe(1);
    expect(env.store.keysUnder('convoy-objectstore/')).toEqual([]);
  });

  it('prune skips a busy volume in a whole-store sweep and refuses it by name', async () => {
    const { env } = await withOrphans();
    const busy = await StoreLock.acquire(env.store, 'vol1', 'backup', 'busy-host/4', DEFAULT_LOCK_OPTIONS);
    try {
      expect(await engine.prune({ store: env.store, owner: 'o', graceMs: 0 })).toMatchObject({ volumes: 0, blocksRemoved: 0, skippedVolumes: ['vol1'] });
      await expectCode(engine.prune({ store: env.store, owner: 'o', graceMs: 0, volumeName: 'vol1' }), 'LOCKED', 'busy-host/4');
      await expectCode(
        engine.deleteBackup({
          store: env.store,
          destUrl: env.destUrl,
          volumeName: 'vol1',
          backupName: (await engine.listBackups({ store: env.store, destUrl: env.destUrl }))[0]!.name,
          owner: 'o',
        }),
        'LOCKED',
        'busy-host/4',
      );
    } finally {
      await busy.release();
    }
    expect(await blockFiles(env, 'vol1')).toHaveLength(5);
  });
});

describe('the Convoy v0.5 fixture store (test-fixtures/convoy-v0.5-store)', () => {
  const fixture = path.resolve(import.meta.dirname, '../../../../test-fixtures/convoy-v0.5-store');

  it('lists every backup and restores each delta-block backup bit-exact', async () => {
    const expected = JSON.parse(await readFile(path.join(fixture, 'expected.json'), 'utf8')) as {
      deltaBlock: Array<{ volume: string; backup: string; driver: string; size: number; blocks: number; sha256: string }>;
    };
    // A copy: restores take locks, which must not land in the repository.
    const env = await makeEnv();
    await copyDirectoryIntoStore(path.join(fixture, 'store'), env.store);
    const listed = await engine.listBackups({ store: env.store, destUrl: env.destUrl });
    expect(listed.map((b) => b.name).sort()).toEqual([...expected.deltaBlock.map((b) => b.backup), 'backup-8899aabbccddeeff'].sort());
    for (const want of expected.deltaBlock) {
      const summary = listed.find((b) => b.name === want.backup)!;
      expect(summary).toMatchObject({
        volumeName: want.volume,
        driver: want.driver,
        volumeSize: want.size,
        blockCount: want.blocks,
        compression: 'gzip',
        mode: 'delta-block',
      });
      const name = `restored-${want.backup}`;
      await engine.restoreBackup({
        store: env.store,
        backupName: want.backup,
        volumeName: want.volume,
        driverName: want.driver,
        ops: env.source,
        request: { name, options: {} },
        owner: 'o',
      });
      const image = await readFile(env.source.volumePath(name));
      expect(image.length).toBe(want.size);
      expect(createHash('sha256').update(image).digest('hex')).toBe(want.sha256);
    }
  });
});
