import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { csiClients } from '@convoy/csi-server/testing';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { bundleDaemon, type DaemonProcess, startDaemonProcess } from '../test/daemon-process.js';

/**
 * Shutdown honours its promise whatever the store does: SIGTERM while S3 stalls a restore or a
 * CSI `bak` upload (with the store's default timeouts, far beyond the stop grace) exits in
 * bounded time (a stalled read is aborted by the cancel, not left to its timeout), with the
 * Docker spec file, the sockets and the root lock gone; so does a second SIGTERM right after the first.
 */
const MiB = 1024 * 1024;
const freshDir = await tempDirFactory('convoy-daemon-shutdown-');
await bundleDaemon(); // at module level: the bundle is removed after this file
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
/** Far beyond the stop deadline (2 × 500 ms grace and a little): only a daemon that does not stop reaches it. */
const HANG_MS = 20_000;
const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

async function daemonIn(dir: string, extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env) {
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  const pluginDir = path.join(dir, 'docker-plugins');
  const config = { ...testDaemonConfig(dir), stopGraceMs: 500, docker: { pluginDir, pluginName: 'convoy-test', required: true }, ...extra };
  const daemon = await startDaemonProcess(config, env);
  const specFile = path.join(pluginDir, 'convoy-test.spec');
  await access(specFile);
  const cli = (args: string[]) => convoy(['--socket', config.socketPath, ...args]);
  const leftovers = async (): Promise<string[]> => {
    const paths = [specFile, config.socketPath, path.join(config.root, 'lock'), ...(config.csi ? [(config.csi as { socketPath: string }).socketPath] : [])];
    const present = await Promise.all(
      paths.map((p) =>
        access(p).then(
          () => p,
          () => undefined,
        ),
      ),
    );
    return present.filter((p): p is string => p !== undefined);
  };
  return { daemon, cli, leftovers };
}

/** A daemon (in a fresh directory) whose S3 store sits behind a fault proxy; `extra` may name the proxy's endpoint. */
async function daemonBehindFaultProxy(extra: (dir: string, endpoint: string) => Record<string, unknown> = () => ({})) {
  const dir = await freshDir();
  const s3 = await startS3rver({ buckets: ['stalls'] });
  const proxy = await startFaultProxy(s3.endpoint);
  return { dir, proxy, ...(await daemonIn(dir, extra(dir, proxy.endpoint))) };
}

/** SIGTERM, and the exit code, or 'still running' when the daemon outlives HANG_MS. */
async function stopWithin(daemon: DaemonProcess): Promise<number | string> {
  return Promise.race([daemon.stop(), sleep(HANG_MS, 'still running')]);
}

describe('convoy daemon shutdown while S3 stalls', () => {
  it('exits in bounded time during a stalled restore, naming it, and leaves nothing behind', async () => {
    const { proxy, daemon, cli, leftovers } = await daemonBehindFaultProxy();
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'table.bin'), randomBytes(MiB));
      expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
      const backup = await cli(['backup', 'create', 'db-snap', '--dest', 's3://stalls@us-east-1/x', '--s3-endpoint', proxy.endpoint]);
      expect(backup.code, backup.stderr).toBe(0);

      // vfs volumes back up as one archive: its download hangs.
      proxy.inject({ fault: 'stall', match: (r) => r.method === 'GET' && r.url.includes('/BackupFiles/'), times: 1000 });
      const restore = cli(['create', 'db-copy', '--backup', backup.stdout.trim(), '--s3-endpoint', proxy.endpoint]);
      while (proxy.injected.stall === 0) await sleep(20);

      const exit = await stopWithin(daemon);
      expect(exit, daemon.stderr() + daemon.stdout()).not.toBe('still running');
      expect((await restore).code).not.toBe(0);
      expect(await leftovers()).toEqual([]);
      // Cancelling the restore aborted its stalled GET: nothing was left running to abandon.
      expect(daemon.stderr() + daemon.stdout()).not.toMatch(/still running after being cancelled/);
    } finally {
      if (daemon.alive()) daemon.child.kill('SIGKILL');
    }
  });

  it('exits in bounded time during a stalled CSI bak upload, and starts no other upload', async () => {
    const { dir, proxy, daemon, leftovers } = await daemonBehindFaultProxy((at, endpoint) => ({
      csi: {
        socketPath: path.join(at, 'csi.sock'),
        nodeId: 'n1',
        backupTargets: [`nas=s3://stalls@us-east-1/csi,endpoint=${endpoint}`],
        kubeletDir: path.join(at, 'kubelet'),
      },
    }));
    const csi = csiClients(path.join(dir, 'csi.sock'));
    try {
      const { volume } = await csi.controller.CreateVolume!({ name: 'pvc-orders', volume_capabilities: [MOUNT_RWO] });
      proxy.inject({ fault: 'stall', match: (r) => r.method === 'PUT' || r.method === 'POST', times: 1000 });
      const request = { name: 'orders-1', source_volume_id: volume.volume_id, parameters: { type: 'bak', backupTarget: 'nas' } };
      expect((await csi.controller.CreateSnapshot!(request)).snapshot.ready_to_use).toBe(false);
      while (proxy.injected.stall === 0) await sleep(20);
      const requestsBefore = proxy.requests.length;

      const exit = await stopWithin(daemon);
      expect(exit, daemon.stderr() + daemon.stdout()).not.toBe('still running');
      expect(await leftovers()).toEqual([]);
      // Nothing uploaded after the stop: at most the cancelled upload's own clean-up.
      expect(proxy.requests.slice(requestsBefore).filter((r) => r.method === 'PUT' && !r.url.includes('uploadId'))).toEqual([]);
    } finally {
      csi.close();
      if (daemon.alive()) daemon.child.kill('SIGKILL');
    }
  });
});

describe('convoy daemon past its stop deadline', () => {
  it('abandons a scheduled run stalled in a read: exit code 1, the run named in the log, nothing left behind', async () => {
    const { proxy, daemon, cli, leftovers } = await daemonBehindFaultProxy();
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      const created = await cli([
        'schedule',
        'create',
        'nightly',
        '--volume',
        'db',
        '--every',
        '24h',
        '--backup',
        's3://stalls@us-east-1/x',
        '--s3-endpoint',
        proxy.endpoint,
      ]);
      expect(created.code, created.stderr).toBe(0);
      // Reads take no cancel signal: the run's first read of the store hangs past every grace period.
      proxy.inject({ fault: 'stall', match: (r) => r.method === 'GET', times: 1000 });
      const run = cli(['schedule', 'run', 'nightly']);
      while (proxy.injected.stall === 0) await sleep(20);

      const exit = await stopWithin(daemon);
      expect(exit, daemon.stderr() + daemon.stdout()).toBe(1);
      expect(daemon.stdout()).toMatch(/did not stop within 3000 ms: exiting with work still running.*backup:db/);
      expect(await leftovers()).toEqual([]);
      expect((await run).code).not.toBe(0);
    } finally {
      if (daemon.alive()) daemon.child.kill('SIGKILL');
    }
  });
});

describe('convoy daemon stopped by two quick SIGTERMs', () => {
  it('still removes the Docker spec file, the socket and the root lock', async () => {
    const dir = await freshDir();
    const { daemon, leftovers } = await daemonIn(dir, {}, { ...process.env, CONVOY_TEST_LOG: '1' });
    try {
      daemon.child.kill('SIGTERM');
      // The second signal once the first is being handled (signals sent back to back may merge).
      await until('the daemon to start stopping', async () => (daemon.stdout().includes('"msg":"stopping"') ? true : undefined));
      daemon.child.kill('SIGTERM');
      const exit = await stopWithin(daemon);
      expect(exit).not.toBe('still running');
      expect(await leftovers()).toEqual([]);
    } finally {
      if (daemon.alive()) daemon.child.kill('SIGKILL');
    }
  });
});
