import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBackupEngine } from '@convoy/backup-store';
import { createCommandRunner, type ErrorCode, ObjectStoreRegistry, silentLogger, type VolumeDriver } from '@convoy/core';
import vfs from '@convoy/driver-vfs';
import fsStore from '@convoy/objectstore-fs';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { VolumeManager } from '@convoy/volume-service';
import memo from 'convoy-driver-memo';
import { describe, expect, it } from 'vitest';

const freshDir = await tempDirFactory('convoy-manager-');

const run = createCommandRunner({ timeoutMs: 60_000 });

interface Host {
  manager: VolumeManager;
  vfsDriver: VolumeDriver;
  memoDriver: VolumeDriver;
  /** Every directory the drivers keep state or data in. */
  stateDirs: string[];
  backupDir: string;
}

async function startHost(
  opts: { wrap?: (driver: VolumeDriver) => VolumeDriver; drivers?: (vfs: VolumeDriver, memo: VolumeDriver) => VolumeDriver[] } = {},
): Promise<Host> {
  const base = await freshDir();
  const dirs = {
    share: path.join(base, 'share'),
    vfsRoot: path.join(base, 'root', 'vfs'),
    memoRoot: path.join(base, 'root', 'memo'),
    backups: path.join(base, 'backups'),
  };
  await fs.mkdir(dirs.backups, { recursive: true });
  await fs.mkdir(dirs.share);
  const vfsDriver = await vfs.create({ root: dirs.vfsRoot, options: { 'vfs.path': dirs.share }, run, log: silentLogger });
  const memoDriver = await memo.create({ root: dirs.memoRoot, options: {}, run, log: silentLogger });
  const stores = new ObjectStoreRegistry();
  stores.register(fsStore);
  const wrap = opts.wrap ?? ((d) => d);
  const drivers = opts.drivers ? opts.drivers(vfsDriver, memoDriver) : [wrap(vfsDriver), memoDriver];
  const manager = new VolumeManager({ drivers, stores, engine: createBackupEngine(), owner: `test-host:${process.pid}`, log: silentLogger });
  return { manager, vfsDriver, memoDriver, stateDirs: [dirs.share, dirs.vfsRoot, dirs.memoRoot, dirs.backups], backupDir: dirs.backups };
}

/** Every path with its size and mtime: equal before and after means nothing changed on disk. */
async function diskState(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    for (const rel of (await fs.readdir(dir, { recursive: true })).map(String).sort()) {
      const stats = await fs.lstat(path.join(dir, rel));
      out.push(`${dir}/${rel} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`);
    }
  }
  return out;
}

async function expectRefusedWithoutChange(host: Host, action: () => Promise<unknown>, code: ErrorCode, mentions?: string): Promise<void> {
  const before = await diskState(host.stateDirs);
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toMatchObject({ code });
  if (mentions) expect((err as Error).message).toContain(mentions);
  expect(await diskState(host.stateDirs)).toEqual(before);
}

async function writeFileInVolume(manager: VolumeManager, volume: string, file: string, content: string): Promise<void> {
  const mountpoint = await manager.mountVolume(volume);
  await fs.writeFile(path.join(mountpoint, file), content);
  await manager.umountVolume(volume);
}

describe('VolumeManager: names and routing', () => {
  it('creates in the default driver, generates names, and routes every call to the owning driver', async () => {
    const host = await startHost();
    expect(await host.manager.open()).toEqual([]);
    const generated = await host.manager.createVolume({});
    expect(generated.name).toMatch(/^volume-[0-9a-f]{16}$/);
    expect(generated.driver).toBe('vfs');
    const memoVolume = await host.manager.createVolume({ name: 'memo-vol', driver: 'memo' });
    expect(memoVolume.driver).toBe('memo');
    expect(await host.memoDriver.getVolume('memo-vol')).toBeDefined();
    expect(await host.vfsDriver.getVolume('memo-vol')).toBeUndefined();

    const mountpoint = await host.manager.mountVolume('memo-vol');
    expect((await host.memoDriver.getVolume('memo-vol'))?.mountpoint).toBe(mountpoint);
    expect((await host.manager.getVolume('memo-vol')).mountpoint).toBe(mountpoint);
    await host.manager.umountVolume('memo-vol');
    expect((await host.manager.listVolumes()).map((v) => [v.name, v.driver])).toEqual(
      [
        [generated.name, 'vfs'],
        ['memo-vol', 'memo'],
      ].sort((a, b) => (a[0] as string).localeCompare(b[0] as string)),
    );
    await host.manager.deleteVolume('memo-vol', { referenceOnly: false });
    expect(await host.memoDriver.getVolume('memo-vol')).toBeUndefined();
    expect(await host.manager.findVolume('memo-vol')).toBeUndefined();
    await expect(host.manager.getVolume('memo-vol')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const info = await host.manager.info();
    expect(info).toMatchObject({ drivers: ['vfs', 'memo'], defaultDriver: 'vfs', problems: [] });
    expect(info.driverInfo['vfs']).toHaveProperty('Path');
  });

  it.each([
    ['../x', 'invalid volume name'],
    ['a', 'invalid volume name'],
    ['', 'volume name is required'],
    ['x'.repeat(300), '300 characters'],
  ])('refuses the volume name %j and changes nothing', async (name, mentions) => {
    const host = await startHost();
    await host.manager.open();
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name }), 'INVALID_ARGUMENT', mentions);
    await expectRefusedWithoutChange(host, () => host.manager.mountVolume(name), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.deleteVolume(name, { referenceOnly: false }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot(name, 'snap1'), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('vol1', name), 'INVALID_ARGUMENT');
  });

  it('refuses an unknown driver, a name another driver has, and bad sizes, options and mountpoints, changing nothing', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.manager.createVolume({ name: 'taken', driver: 'memo' });
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'v1', driver: 'nosuch' }), 'UNKNOWN_DRIVER', 'vfs, memo');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'taken', driver: 'vfs' }), 'ALREADY_EXISTS', 'driver memo');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'taken' }), 'ALREADY_EXISTS');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'v1', size: -5 }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'v1', size: 1.5 }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'v1', options: { vm: true as unknown as string } }), 'INVALID_ARGUMENT');
    // `create --opt siez=1g`: a typo is refused with the options the driver reads, not ignored.
    await expectRefusedWithoutChange(
      host,
      () => host.manager.createVolume({ name: 'v1', options: { siez: '1g' } }),
      'INVALID_ARGUMENT',
      'unknown option siez for driver vfs; known options: vm, PrepareForVM',
    );
    await expectRefusedWithoutChange(
      host,
      () => host.manager.createVolume({ name: 'v1', driver: 'memo', options: { vm: 'true' } }),
      'INVALID_ARGUMENT',
      'unknown option vm for driver memo; known options: note',
    );
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'v1', endpoint: 'http://127.0.0.1:9000' }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.mountVolume('taken', { mountpoint: 'relative/dir' }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.mountVolume('missing'), 'NOT_FOUND');
    expect((await host.manager.listVolumes()).map((v) => v.name)).toEqual(['taken']);
  });

  it('keeps snapshot names unique on the host and apart from volume names', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.manager.createVolume({ name: 'vol1' });
    await host.manager.createVolume({ name: 'vol2', driver: 'memo' });
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('missing', 'snap1'), 'NOT_FOUND', 'missing');
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('vol1', 'vol2'), 'ALREADY_EXISTS', 'volume named vol2');
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('vol1', 'vol1'), 'ALREADY_EXISTS');
    const snap = await host.manager.createSnapshot('vol1', 'snap1');
    expect(snap).toMatchObject({ name: 'snap1', volumeName: 'vol1' });
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('vol2', 'snap1'), 'ALREADY_EXISTS', 'of volume vol1');
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'snap1', driver: 'memo' }), 'ALREADY_EXISTS', 'snapshot');
    const generated = await host.manager.createSnapshot('vol2');
    expect(generated.name).toMatch(/^snapshot-[0-9a-f]{16}$/);
    expect((await host.manager.getSnapshot('snap1')).volumeName).toBe('vol1');
    await host.manager.deleteSnapshot('snap1');
    await expect(host.manager.getSnapshot('snap1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expectRefusedWithoutChange(host, () => host.manager.deleteSnapshot('snap1'), 'NOT_FOUND');
    await host.manager.createSnapshot('vol2', 'snap1');
  });

  it('answers NOT_SUPPORTED naming the driver when a facet is missing', async () => {
    const host = await startHost({ drivers: (vfsDriver) => [withoutFacets(vfsDriver, 'plain')] });
    await host.manager.open();
    await host.manager.createVolume({ name: 'vol1' });
    await expectRefusedWithoutChange(host, () => host.manager.createSnapshot('vol1', 'snap1'), 'NOT_SUPPORTED', 'driver plain does not support snapshots');
  });

  it('finds volumes that appeared after start-up (another host on the share) and forgets ones that vanished', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.vfsDriver.createVolume({ name: 'from-elsewhere', options: {} });
    expect((await host.manager.getVolume('from-elsewhere')).driver).toBe('vfs');
    await expect(host.manager.createVolume({ name: 'from-elsewhere', driver: 'memo' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await host.vfsDriver.deleteVolume({ name: 'from-elsewhere', referenceOnly: false });
    await expect(host.manager.mountVolume('from-elsewhere')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await host.manager.createVolume({ name: 'from-elsewhere', driver: 'memo' })).driver).toBe('memo');
  });
});

describe('VolumeManager: start-up', () => {
  it('reports a driver that cannot list, and still shows the other drivers’ volumes', async () => {
    const host = await startHost({ wrap: (d) => failingList(d) });
    await host.memoDriver.createVolume({ name: 'still-here', options: {} });
    const problems = await host.manager.open();
    expect(problems).toEqual([expect.objectContaining({ driver: 'vfs', message: expect.stringContaining('disk on fire') })]);
    expect((await host.manager.info()).problems).toEqual(problems);
    expect((await host.manager.listVolumes()).map((v) => v.name)).toEqual(['still-here']);
  });

  it('reports a name found in two drivers as STATE_ERROR and refuses to guess which one is meant', async () => {
    const host = await startHost();
    await host.vfsDriver.createVolume({ name: 'twice', options: {} });
    await host.memoDriver.createVolume({ name: 'twice', options: {} });
    const problems = await host.manager.open();
    expect(problems).toEqual([expect.objectContaining({ code: 'STATE_ERROR', message: expect.stringContaining('twice') })]);
    await expectRefusedWithoutChange(host, () => host.manager.mountVolume('twice'), 'STATE_ERROR');
    await expectRefusedWithoutChange(host, () => host.manager.deleteVolume('twice', { referenceOnly: false }), 'STATE_ERROR');
  });

  it('indexes snapshots at start-up so names stay unique across a restart', async () => {
    const host = await startHost();
    await host.vfsDriver.createVolume({ name: 'vol1', options: {} });
    await host.vfsDriver.snapshots?.createSnapshot('vol1', 'kept-snap');
    await host.manager.open();
    expect((await host.manager.getSnapshot('kept-snap')).volumeName).toBe('vol1');
    await host.manager.createVolume({ name: 'vol2', driver: 'memo' });
    await expect(host.manager.createSnapshot('vol2', 'kept-snap')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });
});

describe('VolumeManager: serialisation', () => {
  it('runs mutations of one volume one at a time and of different volumes in parallel', async () => {
    const activity = { perVolume: new Map<string, number>(), maxPerVolume: 0, overall: 0, maxOverall: 0 };
    const host = await startHost({ wrap: (d) => slowMounts(d, activity) });
    await host.manager.open();
    await host.manager.createVolume({ name: 'vol1' });
    await host.manager.createVolume({ name: 'vol2' });
    await Promise.all([
      ...[1, 2, 3].map(() => host.manager.mountVolume('vol1')),
      ...[1, 2, 3].map(() => host.manager.mountVolume('vol2')),
      host.manager.umountVolume('vol1'),
      host.manager.umountVolume('vol2'),
    ]);
    expect(activity.maxPerVolume).toBe(1);
    expect(activity.maxOverall).toBeGreaterThanOrEqual(2);
  });

  it('lets exactly one of two concurrent creates of a name win, across drivers', async () => {
    const host = await startHost();
    await host.manager.open();
    const results = await Promise.allSettled([host.manager.createVolume({ name: 'race' }), host.manager.createVolume({ name: 'race', driver: 'memo' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['ALREADY_EXISTS']);
    expect((await host.manager.listVolumes()).filter((v) => v.name === 'race')).toHaveLength(1);
  });

  it('turns a driver’s system error into STATE_ERROR with its message, and keeps the name free', async () => {
    const host = await startHost({ wrap: (d) => Object.assign(Object.create(d) as VolumeDriver, { createVolume: () => Promise.reject(diskFull()) }) });
    await host.manager.open();
    await expect(host.manager.createVolume({ name: 'v1' })).rejects.toMatchObject({ code: 'STATE_ERROR', message: expect.stringContaining('ENOSPC') });
    expect((await host.manager.createVolume({ name: 'v1', driver: 'memo' })).driver).toBe('memo');
  });

  it('refuses new work after close', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.manager.close();
    await expect(host.manager.createVolume({ name: 'late' })).rejects.toMatchObject({ code: 'BUSY' });
  });
});

describe('VolumeManager: backups', () => {
  it('backs up a snapshot to a store and restores it as a new volume', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.manager.createVolume({ name: 'db' });
    await writeFileInVolume(host.manager, 'db', 'table.dat', 'rows');
    await host.manager.createSnapshot('db', 'db-snap');
    const dest = `vfs://${host.backupDir}`;
    const summary = await host.manager.createBackup({ snapshot: 'db-snap', dest });
    expect(summary.url.startsWith(`${dest}?backup=`)).toBe(true);
    expect(summary).toMatchObject({ volumeName: 'db', snapshotName: 'db-snap', driver: 'vfs' });
    expect((await host.manager.storeOperations.listBackups(dest)).map((b) => b.name)).toEqual([summary.name]);
    expect((await host.manager.storeOperations.inspectBackup(summary.url)).snapshotName).toBe('db-snap');

    const restored = await host.manager.createVolume({ name: 'db-copy', backupUrl: summary.url });
    expect(restored.driver).toBe('vfs');
    const mountpoint = await host.manager.mountVolume('db-copy');
    expect(await fs.readFile(path.join(mountpoint, 'table.dat'), 'utf8')).toBe('rows');

    await expectRefusedWithoutChange(
      host,
      () => host.manager.createVolume({ name: 'wrong-driver', driver: 'memo', backupUrl: summary.url }),
      'INVALID_ARGUMENT',
      'vfs',
    );
    await expectRefusedWithoutChange(
      host,
      () => host.manager.createVolume({ name: 'db-copy2', backupUrl: summary.url, endpoint: 'http://127.0.0.1:9' }),
      'INVALID_ARGUMENT',
      's3://',
    );
    await host.manager.storeOperations.deleteBackup(summary.url);
    expect(await host.manager.storeOperations.listBackups(dest)).toEqual([]);
  });

  it('refuses bad backup requests clearly and changes nothing', async () => {
    const host = await startHost();
    await host.manager.open();
    await host.manager.createVolume({ name: 'db' });
    await host.manager.createSnapshot('db', 'db-snap');
    const dest = `vfs://${host.backupDir}`;
    await expectRefusedWithoutChange(host, () => host.manager.createBackup({ snapshot: 'no-such-snap', dest }), 'NOT_FOUND');
    await expectRefusedWithoutChange(host, () => host.manager.createBackup({ snapshot: 'db-snap', dest: 'ftp://somewhere/x' }), 'UNKNOWN_DRIVER');
    await expectRefusedWithoutChange(host, () => host.manager.createBackup({ snapshot: 'db-snap', dest: 'not a url' }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.createBackup({ snapshot: 'db-snap', dest, compression: 'zip' as 'lz4' }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(
      host,
      () => host.manager.createVolume({ name: 'restored', backupUrl: `${dest}?backup=backup-0000000000000000&volume=db` }),
      'NOT_FOUND',
    );
    await expectRefusedWithoutChange(host, () => host.manager.createVolume({ name: 'restored', backupUrl: `${dest}?volume=db` }), 'INVALID_ARGUMENT');
    await expectRefusedWithoutChange(host, () => host.manager.storeOperations.pruneBackups(dest, { graceSeconds: -1 }), 'INVALID_ARGUMENT');
  });
});

/** The same driver under another name, with only the volume operations. */
function withoutFacets(driver: VolumeDriver, name: string): VolumeDriver {
  return {
    name,
    info: () => driver.info(),
    createVolume: (req) => driver.createVolume(req),
    deleteVolume: (req) => driver.deleteVolume(req),
    mountVolume: (n, o) => driver.mountVolume(n, o),
    umountVolume: (n) => driver.umountVolume(n),
    getVolume: (n) => driver.getVolume(n),
    listVolumes: () => driver.listVolumes(),
  };
}

function diskFull(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC' });
}

/** Fault injection: the driver's listing fails as a broken disk would make it. */
function failingList(driver: VolumeDriver): VolumeDriver {
  return Object.assign(Object.create(driver) as VolumeDriver, {
    listVolumes: () => Promise.reject(new Error('disk on fire')),
  });
}

/** Mount and umount take 30 ms longer and record how many run at once, per volume and overall. */
function slowMounts(
  driver: VolumeDriver,
  activity: { perVolume: Map<string, number>; maxPerVolume: number; overall: number; maxOverall: number },
): VolumeDriver {
  const track = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const now = (activity.perVolume.get(name) ?? 0) + 1;
    activity.perVolume.set(name, now);
    activity.overall += 1;
    activity.maxPerVolume = Math.max(activity.maxPerVolume, now);
    activity.maxOverall = Math.max(activity.maxOverall, activity.overall);
    try {
      await sleep(30);
      return await work();
    } finally {
      activity.perVolume.set(name, (activity.perVolume.get(name) ?? 1) - 1);
      activity.overall -= 1;
    }
  };
  return Object.assign(Object.create(driver) as VolumeDriver, {
    mountVolume: (name: string, opts: { mountpoint?: string }) => track(name, () => driver.mountVolume(name, opts)),
    umountVolume: (name: string) => track(name, () => driver.umountVolume(name)),
  });
}
