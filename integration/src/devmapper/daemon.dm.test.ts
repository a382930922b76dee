import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { convoy, type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { deviceMapper, MiB, type TestPool, testPool } from '@convoy/driver-devmapper/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { sample, scrape } from '@convoy/test-support/prometheus';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The real daemon (CLI, manager, plugin server) loading the driver by Convoy's name,
 * `--drivers devicemapper --driver-opts dm.datadev=... dm.metadatadev=...`, driven by the CLI.
 */
describeNeeding(deviceMapper, 'convoy daemon with the devicemapper driver', () => {
  let pool: TestPool;
  let dir: string;
  let daemon: RunningDaemon | undefined;
  const socket = () => path.join(dir, 'convoy.sock');
  const cli = async (...args: string[]) => {
    const result = await convoy(['--socket', socket(), ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.trim();
  };
  const start = async (): Promise<void> => {
    daemon = await startTestDaemon(dir, { drivers: ['devicemapper'], driverOptions: pool.options, metrics: { host: '127.0.0.1', port: 0 } });
  };
  const stop = async (): Promise<void> => {
    await daemon?.stop();
    daemon = undefined;
  };

  beforeAll(async () => {
    pool = await testPool();
    dir = await mkdtemp('/tmp/convoy-dm-daemon-');
    await start();
  });
  afterAll(async () => {
    await stop();
    await pool?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, snapshots and backs up a volume, survives a restart and a reboot, and restores the backup', async () => {
    const info = JSON.parse(await cli('info'));
    expect(info).toMatchObject({ General: { DefaultDriver: 'devicemapper' }, devicemapper: { Driver: 'devicemapper', PoolMode: 'rw' } });

    expect(await cli('create', 'pg', '--size', '64m')).toBe('pg');
    const mountpoint = await cli('mount', 'pg');
    const rows = randomBytes(2 * MiB);
    await writeFile(path.join(mountpoint, 'rows'), rows);
    await cli('snapshot', 'create', 'pg', '--name', 'pg-s1');
    await cli('create', 'spare', '--size', '64m');
    const store = path.join(dir, 'store');
    await mkdir(store);
    const url = await cli('backup', 'create', 'pg-s1', '--dest', `vfs://${store}`, '--table');

    // The pool's usage and the backup's blocks, as Prometheus sees them.
    const metrics = await scrape(daemon!.metricsUrl!);
    const poolBytes = (space: string, state: string) => sample(metrics, 'convoy_pool_bytes', { driver: 'devicemapper', space, state })!;
    expect(poolBytes('data', 'used')).toBeGreaterThan(2 * MiB);
    expect(poolBytes('data', 'total')).toBeGreaterThan(poolBytes('data', 'used'));
    expect(poolBytes('metadata', 'used')).toBeGreaterThan(0);
    expect(poolBytes('metadata', 'total')).toBeGreaterThan(poolBytes('metadata', 'used'));
    expect(sample(metrics, 'convoy_backup_blocks_uploaded_total')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'convoy_store_requests_total', { scheme: 'vfs', kind: 'put' })).toBeGreaterThan(
      sample(metrics, 'convoy_backup_blocks_uploaded_total')!,
    );

    await stop();
    await start();
    expect(JSON.parse(await cli('inspect', 'pg'))).toMatchObject({ Name: 'pg', Driver: 'devicemapper', MountPoint: mountpoint });
    expect((await readFile(path.join(mountpoint, 'rows'))).equals(rows)).toBe(true);

    await stop();
    await pool.deactivate(); // what a reboot does to mounts and devices
    await start();
    expect(JSON.parse(await cli('inspect', 'pg'))).toMatchObject({ MountPoint: mountpoint });
    expect((await readFile(path.join(mountpoint, 'rows'))).equals(rows)).toBe(true);
    expect(Object.keys(JSON.parse(await cli('list'))).sort()).toEqual(['pg', 'spare']);

    expect(await cli('create', 'pg-copy', '--backup', url)).toBe('pg-copy');
    const copy = await cli('mount', 'pg-copy');
    expect((await readFile(path.join(copy, 'rows'))).equals(rows)).toBe(true);
    await cli('umount', 'pg-copy');
    await cli('umount', 'pg');
    await cli('delete', 'pg', 'pg-copy', 'spare');
  });

  it('grows a mounted volume and its filesystem with convoy resize, keeping the data; a shrink is refused', async () => {
    expect(await cli('create', 'grow', '--size', '64m')).toBe('grow');
    const mountpoint = await cli('mount', 'grow');
    const rows = randomBytes(MiB);
    await writeFile(path.join(mountpoint, 'rows'), rows);
    const fsBytes = async () => {
      const { blocks, bsize } = await statfs(mountpoint);
      return blocks * bsize;
    };
    const before = await fsBytes();

    expect(JSON.parse(await cli('resize', 'grow', '--size', '128m'))).toMatchObject({
      Name: 'grow',
      Driver: 'devicemapper',
      DriverInfo: { Size: String(128 * MiB) },
      MountPoint: mountpoint,
    });
    expect(await fsBytes()).toBeGreaterThan(before + 60 * MiB);
    expect(await cli('resize', 'grow', '--size', '192m', '--table')).toBe('grow 192.0 MiB');

    const shrink = await convoy(['--socket', socket(), 'resize', 'grow', '--size', '64m', '--json']);
    expect(shrink.code).toBe(1);
    expect(shrink.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/shrinking it to 67108864 is not supported/) } });
    expect(JSON.parse(await cli('inspect', 'grow'))).toMatchObject({ DriverInfo: { Size: String(192 * MiB) } });
    expect(await fsBytes()).toBeGreaterThan(before + 120 * MiB);
    expect((await readFile(path.join(mountpoint, 'rows'))).equals(rows)).toBe(true);
    await cli('umount', 'grow');
    await cli('delete', 'grow');
  });
});
