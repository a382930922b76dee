import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { type BackupSummary, type ObjectStore, ObjectStoreRegistry, silentLogger } from '@convoy/core';
import fsStore from '@convoy/objectstore-fs';
import { describeNeeding } from '@convoy/test-support/gate';
import { VolumeManager } from '@convoy/volume-service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, MiB, run, snapshotDigest, type TestPool, testPool } from '../test/dm-test-kit.js';
import type { DevmapperDriver } from './driver.js';

/**
 * Standby volumes on devicemapper (issue 21 item 1): a standby restored from a full backup is
 * synced forward to an incremental and back through the VolumeManager, writing only the blocks
 * that differ into its own thin device, and each time its device is bit-exact with the snapshot
 * the backup was taken of; activated, it mounts with the files of that backup.
 */
const engine = createBackupEngine();
const OWNER = 'dm-standby-test@guest';

async function deviceDigest(device: string, size: number): Promise<string> {
  const fh = await open(device, 'r');
  const hash = createHash('sha256');
  const buf = Buffer.alloc(2 * MiB);
  try {
    for (let at = 0; at < size; at += buf.length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at);
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

describeNeeding(deviceMapper, 'devicemapper standby volumes synced block by block', () => {
  let pool: TestPool;
  let driver: DevmapperDriver;
  let manager: VolumeManager;
  let storeDir: string;
  let store: ObjectStore;
  let full: BackupSummary;
  let incremental: BackupSummary;
  const a = randomBytes(4 * MiB);

  beforeAll(async () => {
    pool = await testPool();
    driver = await pool.start();
    storeDir = await mkdtemp('/tmp/convoy-dm-standby-store-');
    const url = `vfs://${storeDir}`;
    store = await fsStore.open(new URL(url), {});
    const stores = new ObjectStoreRegistry();
    stores.register(fsStore);
    manager = new VolumeManager({ drivers: [driver], stores, engine, owner: OWNER, log: silentLogger, standbyDir: path.join(pool.root, 'standby') });
    await manager.open();
    const source = await driver.createVolume({ name: 'src', options: {} });
    const mountpoint = await driver.mountVolume('src', {});
    await writeFile(path.join(mountpoint, 'a'), a);
    await writeFile(path.join(mountpoint, 'b'), randomBytes(6 * MiB));
    const first = await driver.snapshots.createSnapshot('src', 'first');
    full = await engine.createBackup({ store, destUrl: url, driverName: driver.name, volume: source, snapshot: first, ops: driver.backup, owner: OWNER });
    const fh = await open(path.join(mountpoint, 'a'), 'r+');
    await fh.write(randomBytes(MiB), 0, MiB, MiB);
    await fh.close();
    await writeFile(path.join(mountpoint, 'c'), randomBytes(MiB));
    await unlink(path.join(mountpoint, 'b'));
    await run('fstrim', [mountpoint]);
    const second = await driver.snapshots.createSnapshot('src', 'second');
    incremental = await engine.createBackup({
      store,
      destUrl: url,
      driverName: driver.name,
      volume: source,
      snapshot: second,
      ops: driver.backup,
      owner: OWNER,
    });
  });
  afterAll(async () => {
    await manager?.close();
    await pool?.destroy();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it("syncs forward and back bit-exact, writing only differing blocks, then activates and mounts with the backup's files", async () => {
    const created = await manager.createVolume({ name: 'dr', backupUrl: full.url, standby: true });
    const device = String(created.driverInfo.Device);
    expect(await deviceDigest(device, created.size)).toBe(await snapshotDigest(driver, 'src', 'first'));
    await expect(manager.mountVolume('dr')).rejects.toMatchObject({ code: 'STANDBY' });

    const changed = (await driver.backup.compareSnapshots('src', 'second', 'first')).reduce((n, e) => n + e.length / (2 * MiB), 0);
    const forward = await manager.syncStandby('dr', { backupUrl: incremental.url });
    expect(forward.method).toBe('block-diff');
    expect(forward.blocksWritten + forward.blocksZeroed).toBeGreaterThan(0);
    expect(forward.blocksWritten + forward.blocksZeroed).toBeLessThanOrEqual(changed);
    expect(await deviceDigest(device, created.size)).toBe(await snapshotDigest(driver, 'src', 'second'));

    const back = await manager.syncStandby('dr', { backupUrl: full.url });
    expect(back.blocksWritten + back.blocksZeroed).toBeLessThanOrEqual(changed);
    expect(await deviceDigest(device, created.size)).toBe(await snapshotDigest(driver, 'src', 'first'));

    await manager.activateStandby('dr');
    const at = await manager.mountVolume('dr');
    expect((await readFile(path.join(at, 'a'))).equals(a)).toBe(true);
    await manager.umountVolume('dr');
  });
});
