import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

const dir = await tempDir('convoy-cli-');

describe('convoy client commands against a real daemon', () => {
  let daemon: RunningDaemon;
  const cli = (...args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);

  beforeAll(async () => {
    daemon = await startTestDaemon(dir);
  });
  afterAll(async () => {
    await daemon.stop();
  });

  it("info: readable on a terminal or with --table, Go's JSON otherwise", async () => {
    const human = await convoy(['--socket', daemon.socketPath, 'info'], { tty: true });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Default driver: vfs/);
    expect((await cli('info', '--table')).stdout).toMatch(/Default driver: vfs/);
    const piped = await cli('info');
    expect(piped.json()).toMatchObject({
      General: { DriverList: ['vfs'], DefaultDriver: 'vfs', Root: path.join(dir, 'root') },
      vfs: { Path: path.join(dir, 'volumes') },
    });
    expect(piped.stdout).toBe((await cli('info', '--json')).stdout);
    expect(human.stdout).toMatch(/daemon options \(--driver-opts\):\s+vfs\.path: .*\(required\)/);
    expect(human.stdout).toMatch(/volume options \(create --opt, docker volume create -o\):\s+vm: /);
    // Each driver's declared traits: in words on a terminal, in General.DriverTraits (an addition) otherwise.
    expect(human.stdout).toMatch(/\[vfs\][^[]*traits: reachable from any node, directory, size recorded, not enforced/);
    expect(piped.json<{ General: { DriverTraits: Record<string, unknown> } }>().General.DriverTraits['vfs']).toEqual({
      nodeLocal: false,
      blockDevice: false,
      sizeUnit: 1,
      honoursSize: false,
      createOptions: ['vm', 'PrepareForVM'],
      changedBlocks: false,
    });
    // Each driver's declared options ride in General.DriverOptions, an addition to Go's shape.
    expect(
      piped.json<{ General: { DriverOptions: Record<string, { daemon: Array<{ key: string }>; volume: Array<{ key: string }> }> } }>().General.DriverOptions
        .vfs,
    ).toMatchObject({
      daemon: [{ key: 'vfs.path' }, { key: 'vfs.defaultvolumesize' }, { key: 'vfs.createmissing' }, { key: 'vfs.restoresetid' }],
      volume: [{ key: 'vm' }, { key: 'PrepareForVM' }],
    });
  });

  it('walks a volume through create, mount, write, snapshot, list, inspect, umount and delete', async () => {
    const created = await cli('create', 'web1', '--size', '64m');
    expect(created).toMatchObject({ code: 0, stdout: 'web1\n', stderr: '' });

    const mounted = await cli('mount', 'web1');
    expect(mounted.code).toBe(0);
    const mountpoint = mounted.stdout.trim();
    await writeFile(path.join(mountpoint, 'index.html'), '<h1>hi</h1>');

    const snap = await cli('snapshot', 'create', 'web1', '--name', 'web1-s1');
    expect(snap).toMatchObject({ code: 0, stdout: 'web1-s1\n' });
    expect((await cli('snapshot', 'inspect', 'web1-s1')).json()).toMatchObject({ Name: 'web1-s1', VolumeName: 'web1' });

    const table = await cli('list', '--table');
    expect(table.stdout).toMatch(/^NAME\s+DRIVER\s+SIZE\s+SNAPSHOTS\s+CREATED\s+MOUNTPOINT$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^web1\\s+vfs\\s+\\S+\\s+1\\s+(less than a second|\\d+ seconds?) ago\\s+${mountpoint.replaceAll('/', '\\/')}$`, 'm'),
    );
    const list = (await cli('list')).json<Record<string, { Name: string; MountPoint: string }>>();
    expect(list.web1).toMatchObject({ Name: 'web1', MountPoint: mountpoint });

    const inspect = await cli('inspect', 'web1');
    expect(inspect.json()).toMatchObject({ Name: 'web1', Driver: 'vfs', MountPoint: mountpoint, Snapshots: { 'web1-s1': { Name: 'web1-s1' } } });

    expect((await cli('snapshot', 'delete', 'web1-s1')).code).toBe(0);
    expect(await cli('umount', 'web1')).toMatchObject({ code: 0, stdout: '' });
    expect((await cli('delete', 'web1', '--json')).json()).toEqual({ deleted: ['web1'], referenceOnly: false });
    expect((await cli('inspect', 'web1')).code).toBe(1);
  });

  it("snapshot list VOLUME: the volume's snapshots, newest first on a terminal, keyed by name in JSON", async () => {
    expect((await cli('create', 'snaps1')).code).toBe(0);
    expect((await convoy(['--socket', daemon.socketPath, 'snapshot', 'list', 'snaps1'], { tty: true })).stdout).toBe('no snapshots\n');
    for (const name of ['snaps1-a', 'snaps1-b']) expect((await cli('snapshot', 'create', 'snaps1', '--name', name)).code).toBe(0);
    const table = (await convoy(['--socket', daemon.socketPath, 'snapshot', 'list', 'snaps1'], { tty: true })).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+CREATED$/);
    expect(
      table
        .slice(1, 3)
        .map((line) => line.split(/\s+/)[0])
        .sort(),
    ).toEqual(['snaps1-a', 'snaps1-b']);
    expect(table[1]).toMatch(/ ago$/);
    const piped = await cli('snapshot', 'list', 'snaps1');
    expect(piped.json()).toEqual({
      'snaps1-a': expect.objectContaining({ Name: 'snaps1-a', CreatedTime: expect.any(String) }),
      'snaps1-b': expect.objectContaining({ Name: 'snaps1-b' }),
    });
    expect((await cli('snapshot', 'list', 'snaps1', '--json')).stdout).toBe(piped.stdout);
    expect((await cli('snapshot', 'list', 'nosuch', '--json')).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await cli('snapshot', 'list')).code).toBe(2);
    expect((await cli('delete', 'snaps1')).code).toBe(0);
  });

  it("accepts Go's flags: --verbose answers, create --vm and -s for the socket", async () => {
    const verbose = await cli('--verbose', 'create', 'vm1', '--vm', '--size', '1m');
    expect(verbose.json()).toMatchObject({ Name: 'vm1', DriverInfo: { PrepareForVM: 'true' } });
    const short = await convoy(['-s', daemon.socketPath, '--verbose', 'mount', 'vm1']);
    expect(short.json()).toMatchObject({ Name: 'vm1', MountPoint: expect.stringMatching(/vm1$/) });
    expect((await cli('umount', 'vm1')).code).toBe(0);
    expect((await cli('create', 'iops1', '--iops', 'many')).stderr).toMatch(
      /^convoy: --iops "many" is not a whole number: give a whole number from 0 to 100000000/,
    );
    expect((await cli('delete', 'vm1')).code).toBe(0);
  });

  it('generates a name when create gets none and deletes several volumes at once', async () => {
    const a = (await cli('create')).stdout.trim();
    const b = (await cli('create', '--json')).json<{ Name: string }>().Name;
    expect(a).toMatch(/^volume-[0-9a-f]{16}$/);
    expect(b).toMatch(/^volume-[0-9a-f]{16}$/);
    expect((await cli('delete', a, b)).code).toBe(0);
    expect(Object.keys((await cli('list')).json<object>())).not.toContain(a);

    // A volume that fails does not stop the others; the one line names what failed.
    const c = (await cli('create')).stdout.trim();
    const partly = await cli('delete', 'nosuch1', c);
    expect(partly.code).toBe(1);
    expect(partly.stderr).toMatch(/^convoy: could not delete 1 of 2 volumes: .*nosuch1[^\n]*\n$/);
    expect((await cli('inspect', c)).code).toBe(1);
  });

  it('resize: the vfs driver cannot (NOT_SUPPORTED naming it); a bad size or a missing volume is refused first', async () => {
    expect((await cli('create', 'grow1')).code).toBe(0);
    const refused = await cli('resize', 'grow1', '--size', '1g');
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'convoy: driver vfs does not support resizing volumes\n' });
    expect((await cli('resize', 'grow1', '--size', '1g', '--json')).json()).toMatchObject({ error: { code: 'NOT_SUPPORTED', details: { driver: 'vfs' } } });
    expect((await cli('resize', 'grow1', '--size', '0', '--json')).json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('grow1') },
    });
    expect((await cli('resize', 'grow1', '--size', '1.5g')).stderr).toMatch(/^convoy: --size "1.5g" is not a size/);
    expect((await cli('resize', 'nosuch', '--size', '1g', '--json')).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await cli('resize', 'grow1')).code).toBe(2);
    expect((await cli('delete', 'grow1')).code).toBe(0);
  });

  it('delete --reference keeps the data on disk', async () => {
    await cli('create', 'keepme');
    const mountpoint = (await cli('mount', 'keepme')).stdout.trim();
    await writeFile(path.join(mountpoint, 'db.sqlite'), 'rows');
    await cli('umount', 'keepme');
    expect((await cli('delete', '-r', 'keepme')).code).toBe(0);
    expect(await readFile(path.join(mountpoint, 'db.sqlite'), 'utf8')).toBe('rows');
  });

  it('fails with exit 1 and ONE line `convoy: <message>`, or a JSON error under --json', async () => {
    const missing = await cli('inspect', 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^convoy: .*nosuch.*\n$/);
    expect(missing.stderr.split('\n')).toHaveLength(2);

    const json = await cli('inspect', 'nosuch', '--json');
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ Error: expect.stringMatching(/nosuch/), error: { code: 'NOT_FOUND' } });

    for (const name of ['../x', 'a', 'n'.repeat(300)]) {
      const bad = await cli('create', name);
      expect(bad.code, name).toBe(1);
      expect(bad.stderr, name).toMatch(/^convoy: .*name/);
    }
    const badSize = await cli('create', 'sz1', '--size', '1.5g');
    expect(badSize.stderr).toBe('convoy: --size "1.5g" is not a size: write bytes or a whole number with k, m, g, t or p (e.g. 512m, 100G)\n');
    const badOpt = await cli('create', 'opt1', '--opt', 'novalue');
    expect(badOpt.stderr).toMatch(/^convoy: --opt "novalue" must be key=value/);
    expect(Object.keys((await cli('list')).json<object>())).not.toContain('sz1');
  });

  it('usage mistakes exit 2 with one line', async () => {
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^convoy: Unknown argument: frobnicate \(see convoy --help\)\n$/);
    // A near miss names the nearest command, at any level, like git and kubectl.
    expect(await cli('lsit')).toMatchObject({ code: 2, stdout: '', stderr: 'convoy: unknown command "lsit": did you mean "list"? (see convoy --help)\n' });
    expect((await cli('backup', 'craete', 'snap1')).stderr).toBe('convoy: unknown command "craete": did you mean "create"? (see convoy --help)\n');
    expect((await cli('schedule', 'rn', 'nightly', '--json')).json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('did you mean "run"?') },
    });
    const missingArg = await cli('mount');
    expect(missingArg.code).toBe(2);
    const missingDest = await cli('backup', 'create', 'snap1');
    expect(missingDest.stderr).toMatch(/dest/);
    expect((await cli('backup', 'create', 'snap1', '--json')).json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });

  it('says clearly when the daemon is not there', async () => {
    const res = await convoy(['--socket', path.join(dir, 'nobody.sock'), 'list']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^convoy: cannot reach the convoy daemon at .*nobody\.sock: is `convoy daemon` running\?/);
  });
});

describe('convoy --help', () => {
  it('explains every command', async () => {
    const top = await convoy(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['daemon', 'info', 'create', 'delete', 'resize', 'mount', 'umount', 'list', 'inspect', 'snapshot', 'backup']) {
      expect(top.stdout).toMatch(new RegExp(`convoy ${cmd}`));
    }
    expect((await convoy(['delete', '--help'])).stdout).toMatch(/its data stays where/);
    expect((await convoy(['resize', '--help'])).stdout).toMatch(/Volumes only grow/);
    expect((await convoy(['create', '--help'])).stdout).toMatch(/vfs:\/\/\/abs\/path/);
    expect((await convoy(['backup', 'create', '--help'])).stdout).toMatch(/s3:\/\/bucket@region\/prefix/);
    expect((await convoy(['daemon', '--help'])).stdout).toMatch(/--create-on-docker-mount/);
    expect((await convoy(['daemon', '--help'])).stdout).toMatch(/--store-opts.*s3\.pageSize=500/s);
    // Each built-in driver's options, from its definition.
    const daemonHelp = (await convoy(['daemon', '--help'])).stdout;
    expect(daemonHelp).toMatch(/Driver vfs \(--drivers vfs\) reads:\s+vfs\.path: .*\s+vfs\.defaultvolumesize: .*\(default 100G\)/s);
    expect(daemonHelp).toMatch(/Driver devicemapper \(--drivers devicemapper\) reads:\s+dm\.datadev: .*\s+dm\.warnpercent: /s);
    expect((await convoy(['snapshot', '--help'])).stdout).toMatch(/snapshot create <volume>/);
  });
});
