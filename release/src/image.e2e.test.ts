import { execFile } from 'node:child_process';
import { access, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { csiClients } from '@convoy/csi-server/testing';
import { type Dockerd, dockerdRequirement, startDockerd } from '@convoy/test-support/docker';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildImage, imageTag } from '../build-image.mjs';
import { releaseName } from '../build-release.mjs';
import { releaseTarball } from './release-tarball.js';

/**
 * The Kubernetes image, built by `pnpm release:image`'s own code against a real (isolated)
 * dockerd and run: `convoy --version`, then `convoy daemon` with the vfs driver serving CSI and
 * its API on sockets in a bind-mounted directory, driven from the host; then stopped with the
 * SIGTERM Kubernetes sends, and the image removed. FROM scratch: nothing is pulled.
 */
const CONTAINER = 'convoy-image-e2e';
const execFileAsync = promisify(execFile);

// At module level, where tempDir's afterAll registers (inside beforeAll it would not).
const work = await tempDir('convoy-image-e2e-');

describeNeeding(dockerdRequirement, 'the Convoy image', () => {
  let dockerd: Dockerd;
  let tag: string;

  beforeAll(async () => {
    const tarball = await releaseTarball(path.join(work, 'out'));
    await mkdir(path.join(work, 'docker'));
    dockerd = await startDockerd(path.join(work, 'docker'));
    ({ tag } = await buildImage({ tarball, contextDir: path.join(work, 'context'), env: { ...process.env, DOCKER_HOST: dockerd.host } }));
  });

  afterAll(async () => {
    if (!dockerd) return;
    // A failed test must not leave the container or the image under the test's dockerd.
    await dockerd.docker(['rm', '--force', CONTAINER]);
    await dockerd.docker(['rmi', '--force', imageTag()]);
    await dockerd.stop();
  });

  it('is built from a context holding the root filesystem alone, tagged convoy:<version>, and prints that version', async () => {
    expect(await readdir(path.join(work, 'context'))).toEqual(['rootfs']);
    expect(tag).toBe(`convoy:${releaseName().version}`);
    expect((await dockerd.dockerOk(['run', '--rm', '--network', 'none', tag, '--version'])).trim()).toBe(releaseName().version);
  });

  it('runs the daemon: CSI and the API answer on sockets in a bind-mounted directory, and it stops on SIGTERM', async () => {
    // As in deploy/kubernetes/node.yaml: the sockets' directory and the vfs path come from the host.
    const sockets = path.join(work, 'sockets');
    const vfs = path.join(work, 'vfs');
    await mkdir(sockets);
    await mkdir(vfs);
    await dockerd.dockerOk([
      'run',
      '--detach',
      '--name',
      CONTAINER,
      '--network',
      'none',
      '--volume',
      `${sockets}:/run/convoy`,
      '--volume',
      `${vfs}:/srv/convoy`,
      tag,
      'daemon',
      '--root',
      '/var/lib/convoy',
      '--drivers',
      'vfs',
      '--driver-opts',
      'vfs.path=/srv/convoy',
      '--socket',
      '/run/convoy/convoy.sock',
      '--docker-plugin-dir',
      '/run/convoy/plugins',
      '--csi-socket',
      '/run/convoy/csi.sock',
      '--csi-node-id',
      'image-e2e',
    ]);
    const csiSocket = path.join(sockets, 'csi.sock');
    const apiSocket = path.join(sockets, 'convoy.sock');
    await until('the daemon in the container to open its sockets', async () => {
      if ((await Promise.all([csiSocket, apiSocket].map(exists))).every(Boolean)) return true;
      if ((await dockerd.dockerOk(['inspect', '--format', '{{.State.Running}}', CONTAINER])).trim() !== 'true') {
        const logs = await dockerd.docker(['logs', CONTAINER]);
        throw new Error(`the container stopped before its sockets opened:\n${logs.stdout}${logs.stderr}`);
      }
      return undefined;
    });

    const csi = csiClients(csiSocket);
    try {
      const info = await csi.identity.GetPluginInfo!({});
      expect(info.name).toBe('convoy.rancher.io');
      expect(info.vendor_version).toBe(releaseName().version);
      expect(info.manifest).toEqual({ 'convoy-drivers': 'vfs' });
    } finally {
      csi.close();
    }

    // The host's convoy (the same executable, from the context's rootfs) drives the container's daemon.
    const convoy = path.join(work, 'context/rootfs/usr/bin/convoy');
    expect((await execFileAsync(convoy, ['--socket', apiSocket, 'create', 'db'])).stdout.trim()).toBe('db');
    expect(Object.keys(JSON.parse((await execFileAsync(convoy, ['--socket', apiSocket, 'list'])).stdout) as Record<string, unknown>)).toEqual(['db']);
    expect(await exists(path.join(vfs, 'db'))).toBe(true);

    // convoy is PID 1: it must handle SIGTERM itself (the kernel ignores an unhandled one), not wait for SIGKILL.
    await dockerd.dockerOk(['stop', '--time', '60', CONTAINER], { timeoutMs: 90_000 });
    expect((await dockerd.dockerOk(['inspect', '--format', '{{.State.ExitCode}}', CONTAINER])).trim()).toBe('0');
    await dockerd.dockerOk(['rm', CONTAINER]);
    await dockerd.dockerOk(['rmi', tag]);
    expect((await dockerd.dockerOk(['images', '--quiet'])).trim()).toBe('');
  });
});

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
