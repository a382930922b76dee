import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isConvoyError } from '@convoy/core';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';
import { daemonConfigFromArgs } from './commands/daemon/config.js';

const memoDriverModule = path.resolve(import.meta.dirname, '../../../examples/third-party-driver/src/index.ts');

const freshDir = await tempDirFactory('convoy-daemon-');

describe('convoy daemon', () => {
  it('refuses a second daemon on the same root, naming the holder, and leaves the first serving', async () => {
    const dir = await freshDir();
    const first = await startTestDaemon(dir);
    const err = await startTestDaemon(dir, { socketPath: path.join(dir, 'second.sock') }).catch((e: unknown) => e);
    expect(isConvoyError(err, 'BUSY')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`another Convoy daemon \\(pid ${process.pid}`));
    await expect(fs.lstat(path.join(dir, 'second.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await convoy(['--socket', first.socketPath, 'list'])).code).toBe(0);
    await first.stop();
    // Once stopped, the root is free again and the socket is gone.
    await expect(fs.lstat(first.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await startTestDaemon(dir);
    await again.stop();
  });

  it('loads a third-party driver with --driver-module and serves its volumes', async () => {
    const dir = await freshDir();
    const daemon = await startTestDaemon(dir, { driverModules: [memoDriverModule] });
    const cli = (...args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
    expect((await cli('info')).json()).toMatchObject({ General: { DriverList: ['vfs', 'memo'], DefaultDriver: 'vfs' } });
    expect((await cli('create', 'memo1', '--driver', 'memo')).code).toBe(0);
    expect((await cli('inspect', 'memo1')).json()).toMatchObject({ Name: 'memo1', Driver: 'memo' });
    await daemon.stop();
  });

  it('fails to start on an unknown driver with a clear error, leaving nothing behind', async () => {
    const dir = await freshDir();
    await expect(startTestDaemon(dir, { drivers: ['nosuchdriver'] })).rejects.toThrow(
      /unknown driver "nosuchdriver" \(use one of: devicemapper, vfs\); looked for packages @convoy\/driver-nosuchdriver, convoy-driver-nosuchdriver/,
    );
    await expect(fs.lstat(path.join(dir, 'convoy.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The root lock was released.
    const daemon = await startTestDaemon(dir);
    await daemon.stop();
  });

  it('refuses a bad --store-opts at start with an error naming it, before creating anything', async () => {
    const dir = await freshDir();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 's3.pageSize': '0' }, /--store-opts s3\.pageSize: S3 store option s3\.pageSize="0": use a whole number from 1 to 1000/],
      [{ 's3.pagesize': '2' }, /unknown option s3\.pagesize for the S3 store; known options: s3\.plainPayload, s3\.pageSize/],
      [{ 'vfs.fsync': 'false' }, /--store-opts vfs\.fsync: unknown option vfs\.fsync for a vfs:\/\/ store, which takes no options/],
      [{ 'nosuch.setting': '1' }, /--store-opts nosuch\.setting: unknown backup store "nosuch"/],
      [{ pageSize: '2' }, /--store-opts pageSize: a store option is <scheme>\.<setting>/],
    ];
    for (const [storeOptions, message] of cases) {
      await expect(startTestDaemon(dir, { storeOptions }), JSON.stringify(storeOptions)).rejects.toThrow(message);
    }
    await expect(fs.lstat(path.join(dir, 'root'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a vfs.path that does not exist, leaving nothing behind; vfs.createmissing=true creates it', async () => {
    const dir = await freshDir();
    const missing = path.join(dir, 'no-such-share');
    await expect(startTestDaemon(dir, { driverOptions: { 'vfs.path': missing } })).rejects.toThrow(
      `vfs.path ${missing} does not exist: create it (or mount the share there), or pass --driver-opts vfs.createmissing=true`,
    );
    await expect(fs.lstat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.lstat(path.join(dir, 'convoy.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    const daemon = await startTestDaemon(dir, { driverOptions: { 'vfs.path': missing, 'vfs.createmissing': 'true' } });
    expect((await fs.stat(missing)).isDirectory()).toBe(true);
    await daemon.stop();
  });

  it('refuses a --driver-opts key no enabled driver reads, naming the keys they do read, before any driver starts', async () => {
    const dir = await freshDir();
    const volumes = path.join(dir, 'volumes');
    for (const typo of ['vfs.pathh', 'dm.fs', 'loose']) {
      await expect(startTestDaemon(dir, { driverOptions: { 'vfs.path': volumes, [typo]: 'x' } })).rejects.toThrow(
        `unknown option ${typo} for --driver-opts of the enabled drivers (vfs); known options: vfs.path, vfs.defaultvolumesize`,
      );
    }
    // No driver started: the vfs driver's state directory was never made.
    await expect(fs.lstat(path.join(dir, 'root', 'vfs'))).rejects.toMatchObject({ code: 'ENOENT' });
    const daemon = await startTestDaemon(dir);
    await daemon.stop();
  });

  it('needs at least one driver', async () => {
    const dir = await freshDir();
    await expect(startTestDaemon(dir, { drivers: [] })).rejects.toThrow(/no driver enabled: pass --drivers NAME/);
  });

  it('reads its flags into a configuration, refusing bad values', () => {
    const base = { pluginName: 'convoy', ignoreDockerDelete: false, createOnDockerMount: false, cmdTimeout: '5m', logLevel: 'info' };
    const cfg = daemonConfigFromArgs({
      ...base,
      root: '/srv/convoy-root',
      drivers: ['vfs'],
      driverOpts: ['vfs.path=/srv/vols'],
      storeOpts: ['s3.pageSize=500', 's3.plainPayload=false'],
    });
    expect(cfg).toMatchObject({
      root: '/srv/convoy-root',
      drivers: ['vfs'],
      driverOptions: { 'vfs.path': '/srv/vols' },
      storeOptions: { 's3.pageSize': '500', 's3.plainPayload': 'false' },
      cmdTimeoutMs: 300_000,
      docker: { pluginDir: '/etc/docker/plugins', pluginName: 'convoy', required: false },
    });
    expect(daemonConfigFromArgs({ ...base, dockerPluginDir: '/tmp/p' }).docker).toMatchObject({ pluginDir: '/tmp/p', required: true });
    expect(() => daemonConfigFromArgs({ ...base, driverOpts: ['vfs.path'] })).toThrow(/--driver-opts "vfs.path" must be key=value/);
    expect(() => daemonConfigFromArgs({ ...base, storeOpts: ['s3.pageSize'] })).toThrow(/--store-opts "s3.pageSize" must be key=value/);
    expect(() => daemonConfigFromArgs({ ...base, cmdTimeout: '5' })).toThrow(/--cmd-timeout "5" is not a duration/);
    expect(() => daemonConfigFromArgs({ ...base, logLevel: 'loud' })).toThrow(/--log-level "loud"/);
    expect(() => daemonConfigFromArgs({ ...base, backupConcurrency: '0' })).toThrow(
      /--backup-concurrency "0" is out of range: give a whole number from 1 to 64/,
    );
    expect(() => daemonConfigFromArgs({ ...base, backupConcurrency: '1000000000' })).toThrow(/--backup-concurrency "1000000000" is out of range/);
    expect(() => daemonConfigFromArgs({ ...base, cmdTimeout: '100000000d' })).toThrow(
      /--cmd-timeout "100000000d" is out of range: give a duration from 0 to 1d/,
    );
    expect(daemonConfigFromArgs({ ...base, backupConcurrency: '8' }).backupConcurrency).toBe(8);
  });
});
