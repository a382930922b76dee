import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isConvoyError } from '@convoy/core';
import { type BackupURLResponse, ConvoyClient } from '@convoy/plugin-server/client';
import { BUSYBOX_IMAGE, type Dockerd, dockerdRequirement, importBusybox, startDockerd } from '@convoy/test-support/docker';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

/** Docker's real plugin directory: discovery is part of what is tested. Names are unique per run. */
const DOCKER_PLUGIN_DIR = '/etc/docker/plugins';

const dir = await tempDir('convoy-e2e-');

describeNeeding(dockerdRequirement, 'Convoy as a Docker volume plugin (real dockerd)', () => {
  const plugin = `convoy-e2e-${randomBytes(4).toString('hex')}`;
  let daemon: RunningDaemon | undefined;
  let dockerd: Dockerd | undefined;
  let client: ConvoyClient;

  const docker = (...args: string[]) => (dockerd as Dockerd).dockerOk(args);
  const startConvoy = async () => {
    daemon = await startTestDaemon(dir, { docker: { pluginDir: DOCKER_PLUGIN_DIR, pluginName: plugin, required: true }, createOnDockerMount: true });
    client = new ConvoyClient(daemon.socketPath);
  };
  /** Reads a file of a volume the way a user would: through Convoy's mountpoint. */
  const readFromVolume = async (volume: string, file: string) => {
    const mountpoint = (await client.call('mountVolume', { VolumeName: volume })) as string;
    try {
      return await readFile(path.join(mountpoint, file), 'utf8');
    } finally {
      await client.call('umountVolume', { VolumeName: volume });
    }
  };
  const inspect = (volume: string) => client.call('inspectVolume', { VolumeName: volume });
  const dockerMounts = async (volume: string) => {
    const inspected = JSON.parse(await docker('volume', 'inspect', volume)) as Array<{ Status: { dockerMounts: number } }>;
    return inspected[0]?.Status.dockerMounts;
  };

  beforeAll(async () => {
    // Convoy first: a dockerd that knows volumes of a missing plugin stalls at start.
    await startConvoy();
    dockerd = await startDockerd(path.join(dir, 'docker'));
    await importBusybox(dockerd, dir);
  });

  afterAll(async () => {
    await dockerd?.dockerOk(['rm', '-f', 'c1', 'c2', 'c3']).catch(() => undefined);
    await dockerd?.stop();
    await daemon?.stop();
  });

  it('registers through a spec file in /etc/docker/plugins', async () => {
    expect(daemon?.specFile).toBe(path.join(DOCKER_PLUGIN_DIR, `${plugin}.spec`));
    expect(await readFile(daemon?.specFile as string, 'utf8')).toBe(`unix://${daemon?.socketPath}\n`);
  });

  it('docker volume create -d makes a Convoy volume; docker volume ls and inspect show it', async () => {
    await docker('volume', 'create', '-d', plugin, 'v1');
    expect((await inspect('v1')).Driver).toBe('vfs');
    const ls = await docker('volume', 'ls', '--format', '{{.Driver}} {{.Name}}');
    expect(ls.split('\n')).toContain(`${plugin} v1`);
    const [inspected] = JSON.parse(await docker('volume', 'inspect', 'v1')) as Array<Record<string, unknown>>;
    expect(inspected).toMatchObject({ Name: 'v1', Driver: plugin, Scope: 'local', Status: { driver: 'vfs', dockerMounts: 0 } });
    expect(inspected?.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('docker run -v writes a file that lands in the vfs volume', async () => {
    await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      'v1:/data',
      `--volume-driver=${plugin}`,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'echo hello from docker > /data/greeting',
    );
    expect(await readFromVolume('v1', 'greeting')).toBe('hello from docker\n');
    const vfsPath = (await inspect('v1')).DriverInfo.Path as string;
    expect(await readFile(path.join(vfsPath, 'greeting'), 'utf8')).toBe('hello from docker\n');
    // After the container exits the volume is unmounted again.
    expect((await inspect('v1')).MountPoint).toBe('');
  });

  it('two containers share a volume: stopping one leaves it mounted for the other', async () => {
    await docker('volume', 'create', '-d', plugin, 'v2');
    for (const name of ['c1', 'c2']) {
      await docker('run', '-d', '--name', name, '--network', 'none', '-v', 'v2:/data', `--volume-driver=${plugin}`, BUSYBOX_IMAGE, 'sleep', '600');
    }
    expect(await dockerMounts('v2')).toBe(2);
    await docker('rm', '-f', 'c1');
    expect(await dockerMounts('v2')).toBe(1);
    expect((await inspect('v2')).MountPoint).not.toBe('');
    await docker('exec', 'c2', 'sh', '-c', 'echo still here > /data/after');
    await docker('rm', '-f', 'c2');
    expect(await dockerMounts('v2')).toBe(0);
    expect((await inspect('v2')).MountPoint).toBe('');
    expect(await readFromVolume('v2', 'after')).toBe('still here\n');
  });

  it('docker volume rm forgets the volume in Convoy and keeps its data (reference only)', async () => {
    const vfsPath = (await inspect('v1')).DriverInfo.Path as string;
    await docker('volume', 'rm', 'v1');
    expect(await inspect('v1').catch((err: unknown) => (isConvoyError(err, 'NOT_FOUND') ? undefined : Promise.reject(err)))).toBeUndefined();
    expect(await readFile(path.join(vfsPath, 'greeting'), 'utf8')).toBe('hello from docker\n');
    expect(await docker('volume', 'ls', '-q')).not.toMatch(/^v1$/m);
  });

  // dockerd 20.10 always asks Get first and sends Create when the volume is unknown, then Mount;
  // Mount itself creating a volume (for callers that skip Create) is covered by the protocol test.
  it('docker run with --create-on-docker-mount creates a volume that does not exist yet', async () => {
    await docker('run', '--rm', '--network', 'none', '-v', 'auto1:/data', `--volume-driver=${plugin}`, BUSYBOX_IMAGE, 'sh', '-c', 'echo auto > /data/f');
    expect(await readFromVolume('auto1', 'f')).toBe('auto\n');
  });

  it('docker volume create -o backup=URL restores a backup into a new volume', async () => {
    const storeDir = path.join(dir, 'store');
    await mkdir(storeDir, { recursive: true });
    await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      'src1:/data',
      `--volume-driver=${plugin}`,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'seq 1 100000 > /data/numbers',
    );
    await client.call('createSnapshot', { VolumeName: 'src1', Name: 'src1-snap' });
    const backup = (await client.call('createBackup', { SnapshotName: 'src1-snap', URL: `vfs://${storeDir}`, Verbose: true })) as BackupURLResponse;

    await docker('volume', 'create', '-d', plugin, '-o', `backup=${backup.URL}`, 'restored1');
    const out = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      'restored1:/data',
      `--volume-driver=${plugin}`,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'wc -l < /data/numbers; tail -n 1 /data/numbers',
    );
    expect(out.split('\n').map((l) => l.trim())).toEqual(['100000', '100000', '']);
    const [inspected] = JSON.parse(await docker('volume', 'inspect', 'restored1')) as Array<{ Options: Record<string, string> }>;
    expect(inspected?.Options).toEqual({ backup: backup.URL });
  });

  it('a Convoy daemon restart keeps the mount and its count while a container holds the volume', async () => {
    await docker('volume', 'create', '-d', plugin, 'v3');
    await docker('run', '-d', '--name', 'c3', '--network', 'none', '-v', 'v3:/data', `--volume-driver=${plugin}`, BUSYBOX_IMAGE, 'sleep', '600');
    const mountpoint = (await inspect('v3')).MountPoint;
    expect(mountpoint).not.toBe('');

    await daemon?.stop();
    expect(existsSync(path.join(DOCKER_PLUGIN_DIR, `${plugin}.spec`))).toBe(false);
    await startConvoy();

    expect((await inspect('v3')).MountPoint).toBe(mountpoint);
    expect(await dockerMounts('v3')).toBe(1);
    await docker('exec', 'c3', 'sh', '-c', 'echo survived > /data/restart');
    await docker('rm', '-f', 'c3');
    expect(await dockerMounts('v3')).toBe(0);
    expect((await inspect('v3')).MountPoint).toBe('');
    expect(await readFromVolume('v3', 'restart')).toBe('survived\n');
  });
});
