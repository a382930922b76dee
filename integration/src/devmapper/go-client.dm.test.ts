import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { deviceMapper, poolDeviceIds, run, type TestPool, testPool } from '@convoy/driver-devmapper/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { expectGoBackup, expectGoSnapshot, expectGoVolume, goClient } from '@convoy/test-support/go-convoy';
import { convoyGoBinary } from '@convoy/test-support/peers';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** The built `convoy` binary (`pnpm build` runs before the guest tests in CI). */
const CONVOY_BIN = path.resolve(import.meta.dirname, '../../../packages/cli/dist/index.js');

/** One `convoy` CLI process, as a user's script starts it. */
function convoyProcess(socket: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CONVOY_BIN, '--socket', socket, ...args], { encoding: 'utf8', timeout: 240_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Go Convoy v0.5.2's own client drives Convoy's daemon with the devicemapper driver through
 * every command it has; and many separate `convoy` processes at once leave no device behind.
 */
describeNeeding(deviceMapper, "Go Convoy's client and parallel CLI processes against the devicemapper driver", () => {
  let pool: TestPool;
  let dir: string;
  let daemon: RunningDaemon;
  let goBinary: string;

  beforeAll(async () => {
    if (!existsSync(CONVOY_BIN)) throw new Error(`${CONVOY_BIN} is missing: run \`pnpm build\` before the device-mapper tests`);
    goBinary = convoyGoBinary();
    pool = await testPool({ dataBytes: 2048 * 1024 * 1024 });
    dir = await mkdtemp('/tmp/convoy-dm-go-');
    daemon = await startTestDaemon(dir, { drivers: ['devicemapper'], driverOptions: pool.options });
  });
  afterAll(async () => {
    await daemon?.stop();
    await pool?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("Go's client: info, create (and --backup), mount, umount, list, inspect, snapshots and backups, delete", async () => {
    const go = async (...args: string[]) => {
      const r = await goClient(goBinary, daemon.socketPath, args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const json = async (...args: string[]) => JSON.parse(await go(...args)) as Record<string, unknown>;
    const store = path.join(dir, 'store');
    await mkdir(store);

    expect(await json('info')).toMatchObject({ General: { DefaultDriver: 'devicemapper' }, devicemapper: { ThinpoolSize: expect.stringMatching(/^\d+$/) } });
    expect(await go('create', 'g1', '--size', '64m')).toBe('g1');
    const verbose = await json('--verbose', 'create', 'g2');
    expectGoVolume(verbose);
    expect(verbose.DriverInfo).toMatchObject({ Driver: 'devicemapper', DevID: expect.stringMatching(/^\d+$/), Size: String(64 * 1024 * 1024) });
    expect(await go('snapshot', 'create', 'g1', '--name', 'g1-s1')).toBe('g1-s1');
    expectGoSnapshot(await json('--verbose', 'snapshot', 'create', 'g1'));
    for (const volume of Object.values(await json('list'))) expectGoVolume(volume);
    expect(Object.keys(await json('list', '--driver')).sort()).toEqual(['g1', 'g2']);
    const inspect = await json('inspect', 'g1');
    expectGoVolume(inspect);
    const snapshot = await json('snapshot', 'inspect', 'g1-s1');
    expectGoSnapshot(snapshot);
    expect(snapshot).toMatchObject({
      VolumeName: 'g1',
      VolumeCreatedAt: inspect.CreatedTime,
      DriverInfo: { Driver: 'devicemapper', DevID: expect.stringMatching(/^\d+$/) },
    });

    const url = await go('backup', 'create', 'g1-s1', '--dest', `vfs://${store}`);
    expect(url).toMatch(/\?backup=backup-[0-9a-f]{16}\\u0026volume=g1$/);
    expect(await json('--verbose', 'backup', 'create', 'g1-s1', '--dest', `vfs://${store}`)).toEqual({ URL: expect.stringContaining('&volume=g1') });
    for (const backup of Object.values(await json('backup', 'list', `vfs://${store}`))) expectGoBackup(backup);
    const backup = await json('backup', 'inspect', url);
    expectGoBackup(backup);
    // One time spelling: the backup's record of the volume is what inspect shows.
    expect(backup).toMatchObject({ VolumeCreatedAt: inspect.CreatedTime, SnapshotCreatedAt: snapshot.CreatedTime, DriverName: 'devicemapper' });

    const mountpoint = await go('mount', 'g1');
    expect(await json('--verbose', 'mount', 'g2')).toMatchObject({ Name: 'g2', MountPoint: expect.stringMatching(/^\//) });
    expect((await json('inspect', 'g1')).MountPoint).toBe(mountpoint);
    await go('umount', 'g1');
    await go('umount', 'g2');
    expect(await go('create', 'g3', '--backup', url)).toBe('g3');
    await go('snapshot', 'delete', 'g1-s1');
    await go('backup', 'delete', url);
    await go('delete', 'g1', 'g2', 'g3');
    expect(await json('list')).toEqual({});
  });

  it('20 separate convoy processes create, snapshot and delete at once, all succeed, and no device is left', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `par${i}`);
    const phase = async (argsOf: (name: string) => string[]) => {
      const results = await Promise.all(names.map((name) => convoyProcess(daemon.socketPath, argsOf(name))));
      for (const [i, r] of results.entries()) expect(r, `${argsOf(names[i]!).join(' ')}`).toMatchObject({ code: 0, stderr: '' });
      return results.map((r) => r.stdout.trim());
    };
    expect(await phase((n) => ['create', n, '--size', '16m'])).toEqual(names);
    expect(await phase((n) => ['snapshot', 'create', n, '--name', `${n}-s`])).toEqual(names.map((n) => `${n}-s`));
    const listed = JSON.parse((await convoyProcess(daemon.socketPath, ['list'])).stdout) as Record<string, { Snapshots: object }>;
    expect(Object.keys(listed).sort()).toEqual([...names].sort());
    for (const n of names) expect(Object.keys(listed[n]!.Snapshots)).toEqual([`${n}-s`]);
    // Deleting a volume deletes its snapshots' thin devices too.
    await phase((n) => ['delete', n]);

    expect(JSON.parse((await convoyProcess(daemon.socketPath, ['list'])).stdout)).toEqual({});
    expect(await poolDeviceIds(pool)).toEqual([]);
    const devices = (await run('dmsetup', ['ls'])).stdout.split('\n').filter((l) => l.startsWith(`${pool.poolName}-`));
    expect(devices).toEqual([]);
    // 60 node processes on the guest's one slow CPU (a node start takes 1-3 s there).
  }, 900_000);
});
