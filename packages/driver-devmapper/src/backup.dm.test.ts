import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import type { BackupSummary, ObjectStore, SnapshotRecord, VolumeRecord } from '@convoy/core';
import fsStore from '@convoy/objectstore-fs';
import s3Store from '@convoy/objectstore-s3';
import { describeNeeding } from '@convoy/test-support/gate';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, MiB, poolDelta, run, snapshotDigest, type TestPool, testPool } from '../test/dm-test-kit.js';
import type { DevmapperDriver } from './driver.js';

const engine = createBackupEngine();
const OWNER = 'dm-test@guest';

async function blockObjects(store: ObjectStore): Promise<number> {
  let count = 0;
  for await (const object of store.list('convoy-objectstore/')) if (object.key.endsWith('.blk')) count++;
  return count;
}

/** Where byte `logical` of a file lives on its device, from the filesystem's extent map. */
async function physicalOffset(file: string, logical: number): Promise<number> {
  const { stdout } = await run('filefrag', ['-v', '-b4096', file]);
  for (const [, start, end, physical] of stdout.matchAll(/^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\./gm)) {
    const block = Math.floor(logical / 4096);
    if (block >= Number(start) && block <= Number(end)) return (Number(physical) + block - Number(start)) * 4096 + (logical % 4096);
  }
  throw new Error(`no extent of ${file} holds byte ${logical}:\n${stdout}`);
}

const covers = (extents: { offset: number; length: number }[], at: number) => extents.some((e) => at >= e.offset && at < e.offset + e.length);

/** Sectors the thin device behind `device` (/dev/mapper/NAME) has mapped in the pool (`dmsetup status`). */
async function mappedBytes(device: string): Promise<number> {
  const { stdout } = await run('dmsetup', ['status', path.basename(device)]);
  // "<start> <length> thin <mapped sectors> <highest mapped sector>"
  const mapped = /\bthin (\d+) /.exec(stdout);
  if (!mapped) throw new Error(`no thin status in ${stdout}`);
  return Number(mapped[1]) * 512;
}

describeNeeding(deviceMapper, 'devicemapper incremental backups to real stores, restored bit-exact', () => {
  let pool: TestPool;
  let driver: DevmapperDriver;
  let storeDir: string;
  let source: VolumeRecord;
  let mountpoint: string;
  let first: SnapshotRecord;
  let second: SnapshotRecord;
  const files: Record<string, Buffer> = {};
  let aAtFirst: Buffer;
  const changedBlockCount = async () => (await driver.backup.compareSnapshots('src', 'second', 'first')).reduce((n, e) => n + e.length / (2 * MiB), 0);

  // Block objects are counted against changed chunks: the v0.5 layout (the Go client test backs up in packs).
  const backup = (store: ObjectStore, destUrl: string, snapshot: SnapshotRecord): Promise<BackupSummary> =>
    engine.createBackup({ store, destUrl, driverName: 'devicemapper', volume: source, snapshot, ops: driver.backup, owner: OWNER, layout: 'convoy-v0.5' });

  const restoreAndCompare = async (
    store: ObjectStore,
    summary: BackupSummary,
    name: string,
    expected: { snapshot: string; files: Record<string, Buffer | undefined> },
  ) => {
    await engine.restoreBackup({
      store,
      backupName: summary.name,
      volumeName: 'src',
      driverName: 'devicemapper',
      ops: driver.backup,
      request: { name, options: {} },
      owner: OWNER,
    });
    // Bytes first: a mount would rewrite the superblock.
    await driver.snapshots.createSnapshot(name, `${name}-check`);
    expect(await snapshotDigest(driver, name, `${name}-check`)).toBe(await snapshotDigest(driver, 'src', expected.snapshot));
    const at = await driver.mountVolume(name, {});
    for (const [file, content] of Object.entries(expected.files)) {
      const restored = await readFile(path.join(at, file)).catch(() => undefined);
      expect(restored?.equals(content as Buffer) ?? content === undefined, file).toBe(true);
    }
    await driver.umountVolume(name);
  };

  beforeAll(async () => {
    pool = await testPool();
    driver = await pool.start();
    storeDir = await mkdtemp('/tmp/convoy-dm-store-');
    source = await driver.createVolume({ name: 'src', options: {} });
    mountpoint = await driver.mountVolume('src', {});
    files.a = randomBytes(4 * MiB);
    files.b = randomBytes(8 * MiB);
    for (const name of ['a', 'b']) await writeFile(path.join(mountpoint, name), files[name] as Buffer);
    first = await driver.snapshots.createSnapshot('src', 'first');
    aAtFirst = Buffer.from(files.a);
    // Rewrite 1 MiB in the middle of a, add c, delete b and trim: its blocks become unmapped.
    const rewrite = randomBytes(MiB);
    const fh = await open(path.join(mountpoint, 'a'), 'r+');
    await fh.write(rewrite, 0, MiB, 2 * MiB);
    await fh.close();
    rewrite.copy(files.a as Buffer, 2 * MiB);
    files.c = randomBytes(MiB);
    await writeFile(path.join(mountpoint, 'c'), files.c);
    await unlink(path.join(mountpoint, 'b'));
    await run('fstrim', [mountpoint]);
    second = await driver.snapshots.createSnapshot('src', 'second');
  });
  afterAll(async () => {
    await pool?.destroy();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it('reports blocks discarded since the base snapshot (left_only) as changed', async () => {
    const delta = await poolDelta(pool, first.driverInfo.DevID as number, second.driverInfo.DevID as number);
    expect(delta).toMatch(/<left_only begin=/);
    const changed = await driver.backup.compareSnapshots('src', 'second', 'first');
    const everything = await driver.backup.compareSnapshots('src', 'second');
    // The rewritten MiB of a and all of c must be in the incremental; all of a in the full one.
    expect(covers(changed, await physicalOffset(path.join(mountpoint, 'a'), 2 * MiB))).toBe(true);
    expect(covers(changed, await physicalOffset(path.join(mountpoint, 'c'), 0))).toBe(true);
    for (const at of [0, 2 * MiB, 4 * MiB - 1]) expect(covers(everything, await physicalOffset(path.join(mountpoint, 'a'), at))).toBe(true);
  });

  it('backs up to a vfs:// store incrementally, uploading only changed blocks, and restores each backup bit-exact', async () => {
    const url = `vfs://${storeDir}`;
    const store = await fsStore.open(new URL(url), {});
    const full = await backup(store, url, first);
    const afterFull = await blockObjects(store);
    expect(afterFull).toBeGreaterThanOrEqual(6); // a and b alone fill 6 blocks
    const changedBlocks = await changedBlockCount();
    const incremental = await backup(store, url, second);
    const uploaded = (await blockObjects(store)) - afterFull;
    expect(uploaded).toBeGreaterThan(0);
    expect(uploaded).toBeLessThanOrEqual(changedBlocks);
    expect(changedBlocks).toBeLessThan(source.size / (2 * MiB) / 2);
    await restoreAndCompare(store, incremental, 'from-incremental', { snapshot: 'second', files: { a: files.a, c: files.c, b: undefined } });
    await restoreAndCompare(store, full, 'from-full', { snapshot: 'first', files: { a: aAtFirst, b: files.b, c: undefined } });
    await store.close();
  });

  it('backs up to S3 (s3rver inside the guest) incrementally and restores bit-exact', async () => {
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    const server = await startS3rver({ buckets: ['backups'] });
    const url = 's3://backups@us-east-1/convoy';
    const store = await s3Store.open(new URL(url), { endpoint: server.endpoint });
    await backup(store, url, first);
    const blocksBefore = await blockObjects(store);
    const incremental = await backup(store, url, second);
    const uploaded = (await blockObjects(store)) - blocksBefore;
    expect(uploaded).toBeGreaterThan(0);
    expect(uploaded).toBeLessThanOrEqual(await changedBlockCount());
    await restoreAndCompare(store, incremental, 'from-s3', { snapshot: 'second', files: { a: files.a, c: files.c, b: undefined } });
    await store.close();
  });

  it('leaves blocks of zeros unmapped in the new thin device, and the restore is bit-exact', async () => {
    const storeDir = await mkdtemp('/tmp/convoy-dm-sparse-');
    const url = `vfs://${storeDir}`;
    const store = await fsStore.open(new URL(url), {});
    const volume = await driver.createVolume({ name: 'zeros', size: 16 * MiB, options: {} });
    const fh = await open(String(volume.driverInfo.Device), 'r+');
    // The whole device written (over the filesystem mkfs made): blocks 0 and 5 random, the
    // other six zeros, so all eight are mapped in the pool and in the backup's map.
    await fh.write(Buffer.alloc(16 * MiB), 0, 16 * MiB, 0);
    await fh.write(randomBytes(2 * MiB), 0, 2 * MiB, 0);
    await fh.write(randomBytes(2 * MiB), 0, 2 * MiB, 10 * MiB);
    await fh.sync();
    await fh.close();
    expect(await mappedBytes(String(volume.driverInfo.Device))).toBe(16 * MiB);
    const snapshot = await driver.snapshots.createSnapshot('zeros', 'zeros-1');
    const summary = await engine.createBackup({ store, destUrl: url, driverName: 'devicemapper', volume, snapshot, ops: driver.backup, owner: OWNER });
    expect(summary.blockCount).toBe(8);

    const restored = await engine.restoreBackup({
      store,
      backupName: summary.name,
      volumeName: 'zeros',
      driverName: 'devicemapper',
      ops: driver.backup,
      request: { name: 'zeros-restored', options: {} },
      owner: OWNER,
    });
    // Only the two random blocks take pool space; the six of zeros read back as zeros from holes.
    expect(await mappedBytes(String(restored.driverInfo.Device))).toBe(4 * MiB);
    await driver.snapshots.createSnapshot('zeros-restored', 'zeros-restored-check');
    expect(await snapshotDigest(driver, 'zeros-restored', 'zeros-restored-check')).toBe(await snapshotDigest(driver, 'zeros', 'zeros-1'));
    await store.close();
    await rm(storeDir, { recursive: true, force: true });
  });
});
