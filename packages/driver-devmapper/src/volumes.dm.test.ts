import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConvoyError, type ErrorCode } from '@convoy/core';
import { describeNeeding } from '@convoy/test-support/gate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, MiB, run, type TestPool, testPool } from '../test/dm-test-kit.js';
import type { DevmapperDriver } from './driver.js';

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ConvoyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConvoyError);
  expect((err as ConvoyError).code, (err as Error).message).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
  return err as ConvoyError;
}

describeNeeding(deviceMapper, 'devicemapper volumes in a real thin pool', () => {
  let pool: TestPool;
  let driver: DevmapperDriver;

  beforeAll(async () => {
    pool = await testPool();
    driver = await pool.start();
  });
  afterAll(async () => {
    await pool?.destroy();
  });

  it('creates an empty volume (no lost+found) that mounts at its default mountpoint', async () => {
    const record = await driver.createVolume({ name: 'empty', options: {} });
    expect(record).toMatchObject({ name: 'empty', size: 64 * MiB, snapshots: [], driverInfo: { Filesystem: 'ext4', ThinPool: pool.poolName } });
    const mountpoint = await driver.mountVolume('empty', {});
    expect(mountpoint).toBe(path.join(pool.root, 'mounts', 'empty'));
    expect(await readdir(mountpoint)).toEqual([]);
    await writeFile(path.join(mountpoint, 'hello'), 'world');
    expect(await driver.mountVolume('empty', {})).toBe(mountpoint);
    await expectCode(driver.mountVolume('empty', { mountpoint: '/tmp/elsewhere' }), 'BUSY', /already mounted at/);
    await expectCode(driver.deleteVolume({ name: 'empty', referenceOnly: false }), 'BUSY', /mounted/);
    expect(await readFile(path.join(mountpoint, 'hello'), 'utf8')).toBe('world');
    await driver.umountVolume('empty');
    await expect(stat(mountpoint)).rejects.toThrow();
    await driver.deleteVolume({ name: 'empty', referenceOnly: false });
    expect(await driver.getVolume('empty')).toBeUndefined();
  });

  it('mounts at a mountpoint the caller gives and refuses a relative one', async () => {
    await driver.createVolume({ name: 'chosen', options: {} });
    await expectCode(driver.mountVolume('chosen', { mountpoint: 'relative/dir' }), 'INVALID_ARGUMENT');
    const chosen = path.join(pool.root, 'elsewhere', 'chosen');
    expect(await driver.mountVolume('chosen', { mountpoint: chosen })).toBe(chosen);
    expect((await driver.getVolume('chosen'))?.mountpoint).toBe(chosen);
    await driver.umountVolume('chosen');
    expect((await stat(chosen)).isDirectory()).toBe(true);
    await driver.deleteVolume({ name: 'chosen', referenceOnly: false });
  });

  it('makes xfs volumes when asked', async () => {
    const xfs = await pool.start(undefined, { 'dm.fs': 'xfs' });
    const record = await xfs.createVolume({ name: 'xfsvol', size: 320 * MiB, options: {} });
    expect(record.driverInfo.Filesystem).toBe('xfs');
    const mountpoint = await xfs.mountVolume('xfsvol', {});
    expect(await readdir(mountpoint)).toEqual([]);
    await xfs.umountVolume('xfsvol');
    await xfs.deleteVolume({ name: 'xfsvol', referenceOnly: false });
  });

  it('refuses sizes that are not a multiple of the pool block size and changes nothing', async () => {
    await expectCode(driver.createVolume({ name: 'odd', size: 3 * MiB, options: {} }), 'INVALID_ARGUMENT', /multiple of 2 MiB/);
    expect(await driver.getVolume('odd')).toBeUndefined();
    await expectCode(driver.createVolume({ name: 'odd', size: 64 * MiB + 512, options: {} }), 'INVALID_ARGUMENT');
  });

  it('keeps a reference-only deleted volume and brings it back when the name is created again', async () => {
    await driver.createVolume({ name: 'kept', options: {} });
    const mountpoint = await driver.mountVolume('kept', {});
    await writeFile(path.join(mountpoint, 'data'), 'still here');
    await driver.umountVolume('kept');
    await driver.deleteVolume({ name: 'kept', referenceOnly: true });
    expect((await driver.listVolumes()).map((v) => v.name)).not.toContain('kept');
    await expectCode(driver.createVolume({ name: 'kept', size: 128 * MiB, options: {} }), 'INVALID_ARGUMENT', /reference-only/);
    await driver.createVolume({ name: 'kept', options: {} });
    expect(await readFile(path.join(await driver.mountVolume('kept', {}), 'data'), 'utf8')).toBe('still here');
    await driver.umountVolume('kept');
    await driver.deleteVolume({ name: 'kept', referenceOnly: false });
  });

  it('grows a mounted and an unmounted volume with their filesystems, and refuses to shrink', async () => {
    await driver.createVolume({ name: 'grow', options: {} });
    const mountpoint = await driver.mountVolume('grow', {});
    const payload = randomBytes(MiB);
    await writeFile(path.join(mountpoint, 'payload'), payload);
    await driver.resizeVolume('grow', 128 * MiB);
    const df = async () => Number((await run('df', ['-B1', '--output=size', mountpoint])).stdout.split('\n')[1]);
    expect(await df()).toBeGreaterThan(100 * MiB);
    await driver.umountVolume('grow');
    await driver.resizeVolume('grow', 192 * MiB);
    expect((await driver.getVolume('grow'))?.size).toBe(192 * MiB);
    await driver.mountVolume('grow', {});
    expect(await df()).toBeGreaterThan(160 * MiB);
    expect((await readFile(path.join(mountpoint, 'payload'))).equals(payload)).toBe(true);
    await expectCode(driver.resizeVolume('grow', 64 * MiB), 'INVALID_ARGUMENT', /shrinking/);
    await driver.umountVolume('grow');
    await driver.deleteVolume({ name: 'grow', referenceOnly: false });
  });

  it('names devices <pool>-<id>-<volume> and reports pool usage in info', async () => {
    const record = await driver.createVolume({ name: 'named', options: {} });
    expect(record.driverInfo.Device).toBe(`/dev/mapper/${pool.poolName}-${record.driverInfo.DevID}-named`);
    const info = await driver.info();
    expect(info).toMatchObject({ Driver: 'devicemapper', ThinpoolBlockSize: 2 * MiB, PoolMode: 'rw', NoSpacePolicy: 'error', OrphanDevIds: [], Problems: [] });
    expect(info.DataTotalBytes).toBe(1024 * MiB);
    expect(info.DataUsedBytes).toBeGreaterThan(0);
    expect(info.MetadataTotalBytes).toBe(16 * MiB);
    await driver.deleteVolume({ name: 'named', referenceOnly: false });
  });

  it('refuses to delete what is in use (an open device, a snapshot a backup reads) before touching anything', async () => {
    await driver.createVolume({ name: 'busy', options: {} });
    await driver.snapshots.createSnapshot('busy', 'busy-snap');
    const reader = await driver.backup.openSnapshot('busy', 'busy-snap');
    await expectCode(driver.snapshots.deleteSnapshot('busy', 'busy-snap'), 'BUSY', /being read by a backup/);
    await expectCode(driver.deleteVolume({ name: 'busy', referenceOnly: false }), 'BUSY', /being read by a backup/);
    await reader.close();
    const holder = await open(String((await driver.getVolume('busy'))?.driverInfo.Device), 'r');
    await expectCode(driver.deleteVolume({ name: 'busy', referenceOnly: false }), 'BUSY', /open by another process/);
    await holder.close();
    expect((await driver.snapshots.listSnapshots('busy')).map((s) => s.name)).toEqual(['busy-snap']);
    await driver.deleteVolume({ name: 'busy', referenceOnly: false });
    expect(await readdir(path.join(pool.root, 'intents'))).toEqual([]);
  });

  it('hands back the blocks of a deleted volume', async () => {
    await driver.createVolume({ name: 'hog', options: {} });
    const mountpoint = await driver.mountVolume('hog', {});
    await writeFile(path.join(mountpoint, 'big'), randomBytes(20 * MiB));
    await driver.umountVolume('hog');
    const before = (await driver.info()).DataUsedBytes as number;
    await driver.deleteVolume({ name: 'hog', referenceOnly: false });
    expect((await driver.info()).DataUsedBytes as number).toBeLessThanOrEqual(before - 20 * MiB);
  });
});

describeNeeding(deviceMapper, 'devicemapper pool running full', () => {
  let pool: TestPool;
  afterAll(async () => {
    await pool?.destroy();
  });

  it('warns before the pool fills, fails writes into a full pool at once, and recovers when space is freed', async () => {
    pool = await testPool({ dataBytes: 64 * MiB, options: { 'dm.warnpercent': '50', 'dm.defaultvolumesize': '128M' } });
    const driver = await pool.start();
    await driver.createVolume({ name: 'filler', options: {} });
    const mountpoint = await driver.mountVolume('filler', {});
    expect((await driver.info()).Warnings).toEqual([]);
    await writeFile(path.join(mountpoint, 'bulk'), randomBytes(40 * MiB));
    await run('sync', ['-f', path.join(mountpoint, 'bulk')]);
    const nearlyFull = await driver.info();
    expect(nearlyFull.DataUsedPercent as number).toBeGreaterThanOrEqual(50);
    expect(String(nearlyFull.Warnings)).toMatch(new RegExp(`thin pool ${pool.poolName} data is [0-9.]+% full`));

    // Overcommitted: the 128 MiB volume cannot fit in the 64 MiB pool. With error_if_no_space
    // the write fails now instead of queueing (the kernel would wait 60 s, then fail).
    await driver.umountVolume('filler');
    const device = String((await driver.getVolume('filler'))?.driverInfo.Device);
    const dd = await run('dd', ['if=/dev/zero', `of=${device}`, 'bs=1M', 'count=128', 'oflag=direct', 'status=none'], { okExitCodes: [1] });
    expect(dd.exitCode).toBe(1);
    expect(dd.stderr).toMatch(/No space left on device|Input\/output error/);
    const full = await driver.info();
    expect(full.PoolMode).toBe('out_of_data_space');
    expect(String(full.Warnings)).toMatch(/out_of_data_space mode/);

    await driver.deleteVolume({ name: 'filler', referenceOnly: false });
    expect((await driver.info()).PoolMode).toBe('rw');
    await driver.createVolume({ name: 'after', options: {} });
    await writeFile(path.join(await driver.mountVolume('after', {}), 'fits'), randomBytes(4 * MiB));
    await driver.umountVolume('after');
  });
});
