import { execFileSync } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { type CommandRunner, ConvoyError, createCommandRunner, silentLogger } from '@convoy/core';
import { driverComplianceSuite } from '@convoy/core/testing';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import vfs, { resolveVfsSettings, VfsDriver } from './index.js';

const freshDir = await tempDirFactory('convoy-vfs-');

const run = createCommandRunner({ timeoutMs: 60_000 });

async function makeDriver(base?: string, opts: { run?: CommandRunner; root?: string } = {}): Promise<{ driver: VfsDriver; base: string }> {
  const vfsPath = base ?? path.join(await freshDir(), 'share');
  await fs.mkdir(vfsPath, { recursive: true });
  const root = opts.root ?? path.join(await freshDir(), 'vfs');
  const driver = (await vfs.create({ root, options: { 'vfs.path': vfsPath }, run: opts.run ?? run, log: silentLogger })) as VfsDriver;
  return { driver, base: vfsPath };
}

driverComplianceSuite({
  name: 'vfs',
  capabilities: { snapshots: true, backup: 'single-file', userMountpoint: false, referenceOnly: 'keeps-data' },
  async setup() {
    const { driver } = await makeDriver();
    return { driver, cleanup: async () => undefined };
  },
});

async function listTree(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}

describe('vfs driver, beyond the compliance suite', () => {
  it('keeps volume configs on the shared path in Convoy’s layout, with RubyDate times', async () => {
    const { driver, base } = await makeDriver();
    await driver.createVolume({ name: 'db1', options: {} });
    await driver.snapshots.createSnapshot('db1', 'db1-snap');
    const config = JSON.parse(await fs.readFile(path.join(base, 'config', 'vfs_volume_db1.json'), 'utf8'));
    expect(Object.keys(config).sort()).toEqual(['CreatedTime', 'MountPoint', 'Name', 'Path', 'PrepareForVM', 'Size', 'Snapshots']);
    expect(config).toMatchObject({ Name: 'db1', Size: 0, Path: path.join(base, 'db1'), MountPoint: '', PrepareForVM: false });
    expect(config.CreatedTime).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0000 \d{4}$/);
    expect(config.Snapshots['db1-snap']).toMatchObject({ Name: 'db1-snap', VolumeUUID: 'db1', FilePath: path.join(base, '.snapshots', 'db1', 'db1-snap') });
  });

  it('reads volume configs that Convoy itself wrote', async () => {
    const { driver, base } = await makeDriver();
    await fs.mkdir(path.join(base, 'legacy'));
    const convoyConfig = {
      Name: 'legacy',
      Size: 0,
      Path: path.join(base, 'legacy'),
      MountPoint: '',
      PrepareForVM: false,
      CreatedTime: 'Fri Dec 07 10:11:12 -0800 2018',
      Snapshots: {
        'legacy-s1': {
          Name: 'legacy-s1',
          CreatedTime: 'Fri Dec 07 11:00:00 -0800 2018',
          VolumeUUID: 'legacy',
          FilePath: '/var/lib/rancher/convoy/vfs/snapshots/legacy_legacy-s1.tar.gz',
        },
      },
    };
    await fs.writeFile(path.join(base, 'config', 'vfs_volume_legacy.json'), JSON.stringify(convoyConfig));
    const record = await driver.getVolume('legacy');
    expect(record?.createdAt).toBe('2018-12-07T18:11:12.000Z');
    expect(record?.snapshots.map((s) => [s.name, s.createdAt])).toEqual([['legacy-s1', '2018-12-07T19:00:00.000Z']]);
    expect((await driver.listVolumes()).map((v) => v.name)).toEqual(['legacy']);
  });

  it('adopts an existing directory with its files, as Convoy did', async () => {
    const { driver, base } = await makeDriver();
    await fs.mkdir(path.join(base, 'existing'));
    await fs.writeFile(path.join(base, 'existing', 'already-here.txt'), 'old data');
    await driver.createVolume({ name: 'existing', options: {} });
    const mountpoint = await driver.mountVolume('existing', {});
    expect(await fs.readFile(path.join(mountpoint, 'already-here.txt'), 'utf8')).toBe('old data');
    await driver.umountVolume('existing');
  });

  it('lets two hosts sharing one path see the same volumes and respect each other’s mounts', async () => {
    const { driver: hostA, base } = await makeDriver();
    const { driver: hostB } = await makeDriver(base);
    await hostA.createVolume({ name: 'shared', options: {} });
    expect((await hostB.listVolumes()).map((v) => v.name)).toEqual(['shared']);
    await hostA.mountVolume('shared', {});
    await expect(hostB.deleteVolume({ name: 'shared', referenceOnly: false })).rejects.toMatchObject({ code: 'BUSY' });
    await expect(hostB.createVolume({ name: 'shared', options: {} })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await hostA.umountVolume('shared');
    await hostB.deleteVolume({ name: 'shared', referenceOnly: false });
    expect(await hostA.getVolume('shared')).toBeUndefined();
  });

  it('waits for another host’s operation on the same volume, then gives up with BUSY naming it', async () => {
    const { base } = await makeDriver();
    const settings = await resolveVfsSettings({ root: await freshDir(), options: { 'vfs.path': base }, log: silentLogger });
    const impatient = new VfsDriver({ settings, root: '', run, log: silentLogger, lockTiming: { ttlMs: 60_000, waitMs: 300 } });
    await impatient.prepare();
    await impatient.createVolume({ name: 'contended', options: {} });
    const lockDir = path.join(base, 'config', 'vfs_volume_contended.json.lock');
    await fs.mkdir(lockDir);
    await fs.writeFile(
      path.join(lockDir, 'owner.json'),
      JSON.stringify({
        host: 'host-b',
        pid: 4242,
        bootId: 'other',
        startTime: '1',
        pidNamespace: 'x',
        nonce: 'n1',
        purpose: 'vfs volume contended',
        acquiredAt: '2026-01-01T00:00:00Z',
      }),
    );
    const err = await impatient.mountVolume('contended', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BUSY' });
    expect((err as Error).message).toContain('host-b');
    expect((await impatient.getVolume('contended'))?.mountpoint).toBeUndefined();
  });

  it('refuses a chosen mountpoint, the reserved name "config", and configs without vfs.path', async () => {
    const { driver } = await makeDriver();
    await driver.createVolume({ name: 'v1', options: {} });
    await expect(driver.mountVolume('v1', { mountpoint: '/mnt/elsewhere' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('/mnt/elsewhere'),
    });
    await expect(driver.createVolume({ name: 'config', options: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(driver.createVolume({ name: '../escape', options: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const root = await freshDir();
    await expect(vfs.create({ root, options: {}, run, log: silentLogger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('vfs.path'),
    });
    await expect(vfs.create({ root, options: { 'vfs.path': 'relative/dir' }, run, log: silentLogger })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vfs.create({ root, options: { 'vfs.path': '/tmp/x', 'vfs.defaultvolumesize': '1.5G' }, run, log: silentLogger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('refuses an unknown vfs.* driver option and an unknown create option, naming the known ones', async () => {
    const root = await freshDir();
    const vfsPath = await freshDir();
    await expect(vfs.create({ root, options: { 'vfs.path': vfsPath, 'vfs.pathh': '/typo' }, run, log: silentLogger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'unknown option vfs.pathh for the vfs driver; known options: vfs.path, vfs.defaultvolumesize, vfs.createmissing, vfs.restoresetid',
    });
    // Another driver's options reach every driver and are not the vfs driver's to refuse.
    const driver = await vfs.create({ root, options: { 'vfs.path': vfsPath, 'dm.fs': 'xfs' }, run, log: silentLogger });
    expect(driver.volumeOptions?.map((o) => o.key)).toEqual(['vm', 'PrepareForVM']);
  });

  it('refuses a missing vfs.path, creating nothing, unless vfs.createmissing=true (which the log reports)', async () => {
    const root = path.join(await freshDir(), 'vfs');
    const missing = path.join(await freshDir(), 'not', 'there');
    await expect(vfs.create({ root, options: { 'vfs.path': missing }, run, log: silentLogger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `vfs.path ${missing} does not exist: create it (or mount the share there), or pass --driver-opts vfs.createmissing=true to have the daemon create it`,
    });
    await expect(fs.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    const file = path.join(await freshDir(), 'a-file');
    await fs.writeFile(file, '');
    await expect(vfs.create({ root, options: { 'vfs.path': file }, run, log: silentLogger })).rejects.toMatchObject({
      message: `vfs.path ${file} is not a directory`,
    });
    await expect(vfs.create({ root, options: { 'vfs.path': missing, 'vfs.createmissing': 'yes' }, run, log: silentLogger })).rejects.toMatchObject({
      message: 'vfs.createmissing must be true or false, not "yes"',
    });

    const warnings: Array<{ message: string; fields?: unknown }> = [];
    const log = { ...silentLogger, warn: (message: string, fields?: unknown) => void warnings.push({ message, fields }) };
    const driver = await vfs.create({ root, options: { 'vfs.path': missing, 'vfs.createmissing': 'true' }, run, log });
    expect((await fs.stat(missing)).isDirectory()).toBe(true);
    expect(warnings).toContainEqual({ message: 'created the missing vfs.path (vfs.createmissing=true)', fields: { path: missing } });
    expect(await driver.listVolumes()).toEqual([]);
  });

  it('remembers vfs.path across restarts, as Convoy did', async () => {
    const root = path.join(await freshDir(), 'vfs');
    const { driver: first, base } = await makeDriver(undefined, { root });
    await first.createVolume({ name: 'survivor', options: {} });
    const restarted = await vfs.create({ root, options: {}, run, log: silentLogger });
    expect((await restarted.listVolumes()).map((v) => v.name)).toEqual(['survivor']);
    expect((await restarted.info())['Path']).toBe(base);
  });

  it('refuses a saved default volume size beyond the volume range (a hand-edited vfs.cfg), naming the file', async () => {
    const root = path.join(await freshDir(), 'vfs');
    await makeDriver(undefined, { root });
    const savedFile = path.join(root, 'vfs.cfg');
    for (const size of [1e300, -1, '100G']) {
      await fs.writeFile(savedFile, JSON.stringify({ ...JSON.parse(await fs.readFile(savedFile, 'utf8')), DefaultVolumeSize: size }));
      await expect(vfs.create({ root, options: {}, run, log: silentLogger })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^DefaultVolumeSize in .*vfs\.cfg .* is out of range: give a size from 0 to 1p$/),
      });
    }
  });

  it('gives a volume prepared for a VM a sparse disk image of its size', async () => {
    const { driver } = await makeDriver();
    await driver.createVolume({ name: 'vm1', size: 64 * 1024 * 1024, options: { vm: 'true' } });
    const mountpoint = await driver.mountVolume('vm1', {});
    const image = await fs.stat(path.join(mountpoint, 'disk.img'));
    expect(image.size).toBe(64 * 1024 * 1024);
    expect(image.blocks * 512).toBeLessThan(image.size);
    expect((await driver.getVolume('vm1'))?.size).toBe(64 * 1024 * 1024);
  });

  it('lists the other volumes when one config is damaged', async () => {
    const { driver, base } = await makeDriver();
    await driver.createVolume({ name: 'good', options: {} });
    await fs.writeFile(path.join(base, 'config', 'vfs_volume_broken.json'), '{ not json');
    expect((await driver.listVolumes()).map((v) => v.name)).toEqual(['good']);
    await expect(driver.getVolume('broken')).rejects.toMatchObject({ code: 'STATE_ERROR' });
  });

  it('keeps data and snapshot copies on a reference delete, and says so when a snapshot name meets old data', async () => {
    const { driver, base } = await makeDriver();
    await driver.createVolume({ name: 'kept', options: {} });
    await driver.snapshots.createSnapshot('kept', 'kept-s1');
    await driver.deleteVolume({ name: 'kept', referenceOnly: true });
    expect(await listTree(path.join(base, '.snapshots'))).toEqual(['kept', 'kept/kept-s1']);
    await driver.createVolume({ name: 'kept', options: {} });
    const err = await driver.snapshots.createSnapshot('kept', 'kept-s1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('--reference') });
  });

  it('leaves no trace when the snapshot copy fails', async () => {
    const failingCopy: CommandRunner = (command, args, opts) =>
      command === 'cp' ? Promise.reject(new ConvoyError('COMMAND_FAILED', 'cp: No space left on device')) : run(command, args, opts);
    const { driver, base } = await makeDriver(undefined, { run: failingCopy });
    await driver.createVolume({ name: 'full', options: {} });
    const before = await fs.readFile(path.join(base, 'config', 'vfs_volume_full.json'), 'utf8');
    await expect(driver.snapshots.createSnapshot('full', 'full-s1')).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
    expect(await fs.readFile(path.join(base, 'config', 'vfs_volume_full.json'), 'utf8')).toBe(before);
    expect(await listTree(path.join(base, '.snapshots'))).toEqual([]);
    expect(await listTree(path.join(base, '.convoy-tmp'))).toEqual([]);
  });

  it('leaves no trace of a restore from a hostile archive that writes through a link it planted', async () => {
    const { driver, base } = await makeDriver();
    const outside = await freshDir();
    // GNU tar appends `evil/pwned` after the link `evil -> <outside>`, as an attacker would.
    const first = await freshDir();
    await fs.symlink(outside, path.join(first, 'evil'));
    const second = await freshDir();
    await fs.mkdir(path.join(second, 'evil'));
    await fs.writeFile(path.join(second, 'evil', 'pwned'), 'escaped');
    const archive = path.join(await freshDir(), 'hostile.tar');
    execFileSync('tar', ['-cf', archive, '-C', first, 'evil']);
    execFileSync('tar', ['-rf', archive, '-C', second, 'evil/pwned']);
    await expect(driver.backup.importVolume({ name: 'victim', options: {} }, createReadStream(archive))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('"evil/pwned"'),
    });
    expect(await fs.readdir(outside)).toEqual([]);
    expect(await driver.getVolume('victim')).toBeUndefined();
    expect((await fs.readdir(base)).sort()).toEqual(['.convoy-tmp', '.snapshots', 'config']);
    expect(await listTree(path.join(base, '.convoy-tmp'))).toEqual([]);
    expect(await listTree(path.join(base, 'config'))).toEqual([]);
  });

  it('refuses at create a vm volume larger than the filesystem can hold as one file, leaving nothing', async () => {
    const { driver, base } = await makeDriver();
    const err = await driver.createVolume({ name: 'huge', size: Number.MAX_SAFE_INTEGER, options: { vm: 'true' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/9007199254740991 bytes does not fit.*EFBIG/) });
    expect(await driver.getVolume('huge')).toBeUndefined();
    expect((await fs.readdir(base)).sort()).toEqual(['.convoy-tmp', '.snapshots', 'config']);
    expect(await listTree(path.join(base, '.convoy-tmp'))).toEqual([]);
    // A size the filesystem holds is fine, and its image appears at mount.
    await driver.createVolume({ name: 'vm1', size: 1024 * 1024 * 1024, options: { vm: 'true' } });
    const mountpoint = await driver.mountVolume('vm1', {});
    expect((await fs.stat(path.join(mountpoint, 'disk.img'))).size).toBe(1024 * 1024 * 1024);
  });

  it('refuses to restore over data left by a reference delete', async () => {
    const { driver, base } = await makeDriver();
    await driver.createVolume({ name: 'src', options: {} });
    await driver.snapshots.createSnapshot('src', 'src-s1');
    await driver.createVolume({ name: 'leftover', options: {} });
    await fs.writeFile(path.join(base, 'leftover', 'mine'), 'keep me');
    await driver.deleteVolume({ name: 'leftover', referenceOnly: true });
    const err = await driver.backup
      .importVolume({ name: 'leftover', options: {} }, await driver.backup.exportSnapshot('src', 'src-s1'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await fs.readFile(path.join(base, 'leftover', 'mine'), 'utf8')).toBe('keep me');
  });
});
