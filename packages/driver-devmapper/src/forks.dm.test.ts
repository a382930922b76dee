import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import type { CommandRunner, ObjectStore, SnapshotRecord, VolumeRecord } from '@convoy/core';
import fsStore from '@convoy/objectstore-fs';
import { describeNeeding } from '@convoy/test-support/gate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, MiB, run, type TestPool, testPool } from '../test/dm-test-kit.js';
import { DevmapperDriver } from './driver.js';

/**
 * Process forks per operation (issue 18 item 7): each dmsetup or thin_delta run costs about a
 * second in the slow guest, so a daemon start and every backup are counted, command by command.
 * The real tools run; the runner only counts what passes through it.
 */
const engine = createBackupEngine();
const OWNER = 'dm-test@guest';

let forks: string[] = [];
const counting: CommandRunner = (command, args, opts) => {
  forks.push(command === 'dmsetup' ? `dmsetup ${args.find((a) => !a.startsWith('-')) ?? ''}` : command);
  return run(command, args, opts);
};

/** The forks `work` made, as counts per command (`dmsetup <subcommand>`, or the tool's name). */
async function forksOf(work: () => Promise<unknown>): Promise<Record<string, number>> {
  forks = [];
  await work();
  const counts: Record<string, number> = {};
  for (const f of forks) counts[f] = (counts[f] ?? 0) + 1;
  return counts;
}

async function digest(device: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(2 * MiB);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

async function writeAt(device: string, offset: number, bytes: Buffer): Promise<void> {
  const fh = await open(device, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

describeNeeding(deviceMapper, 'devicemapper process forks per operation', () => {
  let pool: TestPool;
  let driver: DevmapperDriver;
  let storeDir: string;
  let store: ObjectStore;
  let volume: VolumeRecord;
  let first: SnapshotRecord;
  let second: SnapshotRecord;
  const destUrl = () => `vfs://${storeDir}`;

  beforeAll(async () => {
    pool = await testPool();
    // The first start creates the pool; the counted starts below re-open it, as a daemon does.
    driver = await pool.start();
    storeDir = await mkdtemp(path.join(tmpdir(), 'convoy-forks-store-'));
    store = await fsStore.open(new URL(destUrl()), {});
    volume = await driver.createVolume({ name: 'src', size: 32 * MiB, options: {} });
    const device = String(volume.driverInfo.Device);
    await writeAt(device, 0, randomBytes(8 * MiB));
    first = await driver.snapshots.createSnapshot('src', 'first');
    await writeAt(device, 4 * MiB, randomBytes(2 * MiB));
    second = await driver.snapshots.createSnapshot('src', 'second');
  });
  afterAll(async () => {
    await store?.close();
    await pool?.destroy();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it('a daemon start on a live pool lists the devices and their tables once: 6 forks', async () => {
    const counts = await forksOf(() => DevmapperDriver.start({ ...pool.context(), run: counting }));
    // One listing (info + table), the pool's status (a metadata snapshot left held?), and the
    // pool's thin devices (reserve, thin_ls, release) to compare with the state.
    expect(counts).toEqual({ 'dmsetup info': 1, 'dmsetup table': 1, 'dmsetup status': 1, 'dmsetup message': 2, thin_ls: 1 });
  });

  it('a full backup, an incremental and a restore: 5, 5 and 3 forks', async () => {
    const counted = await DevmapperDriver.start({ ...pool.context(), run: counting });
    const backup = (snapshot: SnapshotRecord) =>
      engine.createBackup({ store, destUrl: destUrl(), driverName: 'devicemapper', volume, snapshot, ops: counted.backup, owner: OWNER });
    // thin_delta under a held metadata snapshot (reserve, read, release), then the snapshot's
    // device activated read-only for the reads and removed.
    const once = { 'dmsetup message': 2, thin_delta: 1, 'dmsetup create': 1, 'dmsetup remove': 1 };
    let full: Awaited<ReturnType<typeof backup>> | undefined;
    expect(await forksOf(async () => (full = await backup(first)))).toEqual(once);
    expect(await forksOf(() => backup(second))).toEqual(once);
    // A new thin device (create_thin), its activation, and blkid for its filesystem.
    const restore = () =>
      engine.restoreBackup({
        store,
        backupName: full!.name,
        volumeName: 'src',
        driverName: 'devicemapper',
        ops: counted.backup,
        request: { name: 'restored', options: {} },
        owner: OWNER,
      });
    expect(await forksOf(restore)).toEqual({ 'dmsetup message': 1, 'dmsetup create': 1, blkid: 1 });
  });

  it('an incremental of a volume that did not change costs the same 5 forks: its snapshot is activated while a backup holds it open, so a delete sees the reader', async () => {
    // The newest start's state knows the volume the test before restored; the older drivers'
    // would allocate its thin device id again.
    const counted = await DevmapperDriver.start({ ...pool.context(), run: counting });
    const unchanged = await counted.snapshots.createSnapshot('src', 'unchanged');
    const backup = (snapshot: SnapshotRecord) =>
      engine.createBackup({ store, destUrl: destUrl(), driverName: 'devicemapper', volume, snapshot, ops: counted.backup, owner: OWNER });
    await backup(second);
    let summary: Awaited<ReturnType<typeof backup>> | undefined;
    expect(await forksOf(async () => (summary = await backup(unchanged)))).toEqual({
      'dmsetup message': 2,
      thin_delta: 1,
      'dmsetup create': 1,
      'dmsetup remove': 1,
    });
    // Still a whole backup: it restores to what the snapshot holds.
    await engine.restoreBackup({
      store,
      backupName: summary!.name,
      volumeName: 'src',
      driverName: 'devicemapper',
      ops: counted.backup,
      request: { name: 'restored-unchanged', options: {} },
      owner: OWNER,
    });
    const restored = await counted.getVolume('restored-unchanged');
    const [a, b] = await Promise.all([digest(String(restored!.driverInfo.Device)), digest(String(volume.driverInfo.Device))]);
    expect(a).toBe(b);
  });
});
