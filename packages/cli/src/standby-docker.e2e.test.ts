import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type BackupURLResponse, ConvoyClient } from '@convoy/plugin-server/client';
import { BUSYBOX_IMAGE, type Dockerd, dockerdRequirement, importBusybox, startDockerd } from '@convoy/test-support/docker';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

/**
 * A standby volume through real dockerd (issue 21 item 1): `docker volume create -o backup=URL
 * -o standby=true` makes one, `docker volume inspect` shows the backup it holds and when it last
 * synced, a container cannot mount it (read-write or :ro, since Docker's protocol carries no
 * read-only flag to a plugin) and the error names `convoy standby activate`; once activated, a
 * container reads the restored data.
 */
const DOCKER_PLUGIN_DIR = '/etc/docker/plugins';
const dir = await tempDir('convoy-standby-e2e-');

describeNeeding(dockerdRequirement, 'standby volumes through Docker (real dockerd)', () => {
  const plugin = `convoy-standby-${randomBytes(4).toString('hex')}`;
  let daemon: RunningDaemon | undefined;
  let dockerd: Dockerd | undefined;
  let client: ConvoyClient;
  const docker = (...args: string[]) => (dockerd as Dockerd).dockerOk(args);

  beforeAll(async () => {
    daemon = await startTestDaemon(dir, { docker: { pluginDir: DOCKER_PLUGIN_DIR, pluginName: plugin, required: true } });
    client = new ConvoyClient(daemon.socketPath);
    dockerd = await startDockerd(path.join(dir, 'docker'));
    await importBusybox(dockerd, dir);
  });

  afterAll(async () => {
    await dockerd?.stop();
    await daemon?.stop();
  });

  it('a standby made with docker volume create refuses containers, names the way out, shows its backup, and serves them once activated', async () => {
    const storeDir = path.join(dir, 'store');
    await mkdir(storeDir, { recursive: true });
    await docker('volume', 'create', '-d', plugin, 'src');
    await docker('run', '--rm', '--network', 'none', '-v', 'src:/data', `--volume-driver=${plugin}`, BUSYBOX_IMAGE, 'sh', '-c', 'echo primary > /data/f');
    await client.call('createSnapshot', { VolumeName: 'src', Name: 'src-1' });
    const backup = (await client.call('createBackup', { SnapshotName: 'src-1', URL: `vfs://${storeDir}`, Verbose: true })) as BackupURLResponse;

    await docker('volume', 'create', '-d', plugin, '-o', `backup=${backup.URL}`, '-o', 'standby=true', 'dr');
    const [inspected] = JSON.parse(await docker('volume', 'inspect', 'dr')) as Array<{ Status: Record<string, unknown> }>;
    expect(inspected?.Status).toMatchObject({ standbyBackup: backup.URL, standbySyncedAt: expect.stringMatching(/^\d{4}-/) });

    for (const mount of ['dr:/data', 'dr:/data:ro']) {
      const refused = await (dockerd as Dockerd).docker([
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        mount,
        `--volume-driver=${plugin}`,
        BUSYBOX_IMAGE,
        'sh',
        '-c',
        'echo overwritten > /data/f',
      ]);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('volume dr is a standby volume and cannot be mounted');
      expect(refused.stderr).toContain('convoy standby activate dr');
    }

    await client.call('activateStandby', { VolumeName: 'dr' });
    expect((await docker('run', '--rm', '--network', 'none', '-v', 'dr:/data', `--volume-driver=${plugin}`, BUSYBOX_IMAGE, 'cat', '/data/f')).trim()).toBe(
      'primary',
    );
    const [activated] = JSON.parse(await docker('volume', 'inspect', 'dr')) as Array<{ Status: Record<string, unknown> }>;
    expect(activated?.Status.standbyBackup).toBeUndefined();
  });
});
