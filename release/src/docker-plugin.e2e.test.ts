import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUSYBOX_IMAGE, type Dockerd, dockerdRequirement, importBusybox, startDockerd } from '@convoy/test-support/docker';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildDockerPlugin } from '../build-docker-plugin.mjs';
import { releaseTarball } from './release-tarball.js';

/**
 * Convoy as a managed Docker plugin, against a real (isolated) dockerd: the plugin directory is
 * built from the release tarball, created and enabled; a volume on it is created, written by
 * one container and read by another, removed; and the plugin is disabled and removed. Nothing
 * is pulled: the plugin's root filesystem and the busybox image come from this machine.
 */
const PLUGIN = 'convoy-e2e:latest';
const execFileAsync = promisify(execFile);

// At module level, where tempDir's afterAll registers (inside beforeAll it would not).
const work = await tempDir('convoy-plugin-e2e-');

describeNeeding(dockerdRequirement, 'convoy as a managed Docker plugin', () => {
  let dockerd: Dockerd;
  let pluginDir: string;
  let dockerData: string;

  beforeAll(async () => {
    const tarball = await releaseTarball(path.join(work, 'out'));
    pluginDir = buildDockerPlugin({ tarball, outDir: path.join(work, 'plugin') });
    await mkdir(path.join(work, 'docker'));
    dockerd = await startDockerd(path.join(work, 'docker'));
    dockerData = path.join(work, 'docker', 'data');
    await importBusybox(dockerd, work);
  });

  afterAll(async () => {
    if (!dockerd) return;
    // A failed test must not leave the plugin running under the test's dockerd.
    await dockerd.docker(['plugin', 'rm', '--force', PLUGIN]);
    await dockerd.stop();
  });

  it('is created and enabled from the local directory, serves docker volume create, run -v and rm, then is disabled and removed', async () => {
    await dockerd.dockerOk(['plugin', 'create', PLUGIN, pluginDir]);
    await dockerd.dockerOk(['plugin', 'enable', PLUGIN]);
    const [plugin] = JSON.parse(await dockerd.dockerOk(['plugin', 'inspect', PLUGIN])) as Array<{
      Id: string;
      Enabled: boolean;
      Config: { Interface: { Types: string[] }; PropagatedMount: string; Linux: { Capabilities: string[] } };
    }>;
    expect(plugin!.Enabled).toBe(true);
    expect(plugin!.Config.Interface.Types).toEqual(['docker.volumedriver/1.0']);
    expect(plugin!.Config.Linux.Capabilities).toEqual(['CAP_SYS_ADMIN']);

    expect((await dockerd.dockerOk(['volume', 'create', '-d', PLUGIN, 'db'])).trim()).toBe('db');
    await dockerd.dockerOk(['run', '--rm', '-v', 'db:/data', BUSYBOX_IMAGE, 'sh', '-c', 'echo kept by the convoy plugin > /data/hello']);
    expect((await dockerd.dockerOk(['run', '--rm', '-v', 'db:/data', BUSYBOX_IMAGE, 'cat', '/data/hello'])).trim()).toBe('kept by the convoy plugin');
    const [volume] = JSON.parse(await dockerd.dockerOk(['volume', 'inspect', 'db'])) as Array<{ Driver: string }>;
    expect(volume!.Driver).toBe(PLUGIN);
    // The data lives on the host under the plugin's propagated mount, so it outlives the plugin's container.
    expect(await readFile(path.join(dockerData, 'plugins', plugin!.Id, 'propagated-mount/volumes/db/hello'), 'utf8')).toBe('kept by the convoy plugin\n');

    // The host's convoy drives the plugin's daemon through the socket Docker gives it.
    const socket = `/run/docker/plugins/${plugin!.Id}/convoy.sock`;
    const convoy = path.join(pluginDir, 'rootfs/usr/bin/convoy');
    expect(Object.keys(JSON.parse((await execFileAsync(convoy, ['--socket', socket, 'list'])).stdout) as Record<string, unknown>)).toEqual(['db']);
    expect((await execFileAsync(convoy, ['--socket', socket, 'snapshot', 'create', 'db', '--name', 'db-snap'])).stdout.trim()).toBe('db-snap');

    await dockerd.dockerOk(['volume', 'rm', 'db']);
    expect((await dockerd.dockerOk(['volume', 'ls', '-q'])).trim()).toBe('');
    await dockerd.dockerOk(['plugin', 'disable', PLUGIN]);
    await dockerd.dockerOk(['plugin', 'rm', PLUGIN]);
    expect((await dockerd.dockerOk(['plugin', 'ls', '-q'])).trim()).toBe('');
  });
});
