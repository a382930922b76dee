import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConvoyError, type ErrorCode } from '@convoy/core';
import { describeNeeding } from '@convoy/test-support/gate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, loopDevice, MiB, run, testPool } from '../test/dm-test-kit.js';
import { DevmapperDriver } from './driver.js';

async function failure(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConvoyError);
  expect(`${(err as ConvoyError).code}: ${(err as Error).message}`).toMatch(new RegExp(`^${code}: `));
  expect((err as Error).message).toMatch(message);
}

async function head(device: string): Promise<Buffer> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(4096);
    await fh.read(buf, 0, 4096, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

async function activeDevices(): Promise<string> {
  return (await run('dmsetup', ['ls'])).stdout;
}

describeNeeding(deviceMapper, 'devicemapper pool set-up refuses bad devices and changes nothing', () => {
  let dir: string;
  const detach: Array<() => Promise<void>> = [];
  const loop = async (bytes: number) => {
    const device = await loopDevice(dir, bytes);
    detach.push(device.detach);
    return device.path;
  };
  const start = (root: string, options: Record<string, string>) =>
    DevmapperDriver.start({
      root,
      options: { 'dm.thinpoolname': `bad${randomBytes(3).toString('hex')}`, ...options },
      run,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
  const freshRoot = () => mkdtemp(path.join(dir, 'root-'));

  beforeAll(async () => {
    dir = await mkdtemp('/tmp/convoy-dm-bad-');
  });
  afterAll(async () => {
    for (const d of detach) await d();
    await rm(dir, { recursive: true, force: true });
  });

  it('requires both devices on a first start', async () => {
    await failure(start(await freshRoot(), { 'dm.datadev': await loop(64 * MiB) }), 'INVALID_ARGUMENT', /dm\.datadev and dm\.metadatadev are required/);
  });

  it('names a missing device and a path that is not a block device', async () => {
    const meta = await loop(16 * MiB);
    await failure(
      start(await freshRoot(), { 'dm.datadev': '/dev/convoy-no-such-disk', 'dm.metadatadev': meta }),
      'NOT_FOUND',
      /dm\.datadev: \/dev\/convoy-no-such-disk does not exist/,
    );
    const file = path.join(dir, 'plain-file');
    await writeFile(file, 'x');
    await failure(start(await freshRoot(), { 'dm.datadev': file, 'dm.metadatadev': meta }), 'INVALID_ARGUMENT', /is not a block device/);
  });

  it('refuses devices that are too small', async () => {
    const root = await freshRoot();
    await failure(
      start(root, { 'dm.datadev': await loop(64 * MiB), 'dm.metadatadev': await loop(MiB) }),
      'INVALID_ARGUMENT',
      /dm\.metadatadev .* is too small: 1 MiB/,
    );
    await failure(
      start(root, { 'dm.datadev': await loop(MiB), 'dm.metadatadev': await loop(16 * MiB) }),
      'INVALID_ARGUMENT',
      /dm\.datadev .* is too small: 1 MiB, less than one pool block \(2 MiB\)/,
    );
    await expect(stat(path.join(root, 'pool.json'))).rejects.toThrow();
  });

  it('refuses a metadata device holding a filesystem and leaves it untouched', async () => {
    const meta = await loop(16 * MiB);
    await run('mkfs.ext4', ['-q', meta]);
    const before = await head(meta);
    const devicesBefore = await activeDevices();
    await failure(
      start(await freshRoot(), { 'dm.datadev': await loop(64 * MiB), 'dm.metadatadev': meta }),
      'INVALID_ARGUMENT',
      /holds data that is not thin-pool metadata/,
    );
    expect((await head(meta)).equals(before)).toBe(true);
    expect(await activeDevices()).toBe(devicesBefore);
  });

  it('refuses thin-pool metadata with devices it has no record of, and reuses empty metadata', async () => {
    const pool = await testPool({ dataBytes: 64 * MiB });
    const first = await pool.start();
    await first.createVolume({ name: 'someone-elses', options: {} });
    await pool.deactivate();
    const before = await head(pool.metadataDevice);
    await failure(
      DevmapperDriver.start({ ...pool.context(), root: await freshRoot() }),
      'INVALID_ARGUMENT',
      /holds thin-pool metadata with 1 thin devices \(ids 1\)/,
    );
    expect((await head(pool.metadataDevice)).equals(before)).toBe(true);

    const emptyPool = await testPool({ dataBytes: 64 * MiB });
    await emptyPool.start();
    await emptyPool.deactivate();
    const reused = await DevmapperDriver.start({ ...emptyPool.context(), root: await freshRoot() });
    expect((await reused.info()).PoolMode).toBe('rw');
    await pool.destroy();
    await emptyPool.destroy();
  });

  it('refuses a device another device-mapper table holds, and a pool name already taken', async () => {
    const pool = await testPool({ dataBytes: 64 * MiB });
    await pool.start();
    await failure(start(await freshRoot(), { 'dm.datadev': await loop(64 * MiB), 'dm.metadatadev': pool.metadataDevice }), 'BUSY', /is in use/);
    await failure(
      start(await freshRoot(), { 'dm.datadev': await loop(64 * MiB), 'dm.metadatadev': await loop(16 * MiB), 'dm.thinpoolname': pool.poolName }),
      'ALREADY_EXISTS',
      /already exists and is not a pool on these devices/,
    );
    await pool.destroy();
  });

  it('on a later start refuses a changed block size, and corrupt metadata without wiping it', async () => {
    const pool = await testPool({ dataBytes: 64 * MiB });
    const driver = await pool.start();
    await driver.createVolume({ name: 'precious', options: {} });
    await failure(pool.start(undefined, { 'dm.thinpoolblocksize': '128' }), 'INVALID_ARGUMENT', /created with 4096; it cannot change/);
    await pool.deactivate();
    // Damage the metadata superblock's checksum the way a bad disk would.
    const fh = await open(pool.metadataDevice, 'r+');
    await fh.write(Buffer.from([0xde, 0xad]), 0, 2, 0);
    await fh.close();
    const damaged = await head(pool.metadataDevice);
    await failure(pool.start(), 'CORRUPT', /fails thin_check; Convoy will not activate or wipe it\. Repair it .*thin_repair/);
    expect((await head(pool.metadataDevice)).equals(damaged)).toBe(true);
    expect(await activeDevices()).not.toContain(pool.poolName);
    expect(JSON.parse(await readFile(path.join(pool.root, 'volumes', 'precious.json'), 'utf8')).devId).toBe(1);
    await pool.destroy();
  });
});
