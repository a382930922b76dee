import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ConsistencyReport, isConvoyError } from '@convoy/core';
import { csiClients } from '@convoy/csi-server/testing';
import { type BackupURLResponse, ConvoyClient, type SnapshotResponse } from '@convoy/plugin-server/client';
import { BUSYBOX_IMAGE, type Dockerd, dockerdRequirement, importBusybox, startDockerd } from '@convoy/test-support/docker';
import { describeNeeding } from '@convoy/test-support/gate';
import { sample, scrape } from '@convoy/test-support/prometheus';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

/**
 * Application-consistent snapshots through a real, isolated dockerd: containers declare their
 * hooks as labels, Convoy runs them inside the containers around the snapshot. The writer is a
 * busybox loop appending numbered records; its pre-hook makes it stop at a checkpoint and write
 * a marker naming the last record, its post-hook lets it go on.
 */

const DOCKER_PLUGIN_DIR = '/etc/docker/plugins';
const dir = await tempDir('convoy-hooks-e2e-');

/** Appends `record i` to /data/log and writes i to /data/count, two steps a copy can split; at /tmp/pause it checkpoints and waits. */
const WRITER = [
  'i=0',
  'while [ ! -e /tmp/stop ]; do',
  '  if [ -e /tmp/pause ]; then',
  '    if [ ! -e /tmp/paused ]; then echo "checkpoint $i" > /data/checkpoint; sync; touch /tmp/paused; fi',
  '    usleep 20000; continue',
  '  fi',
  '  rm -f /tmp/paused',
  '  i=$((i+1)); echo "record $i" >> /data/log; echo "$i" > /data/count',
  '  usleep 1000',
  'done',
].join('\n');
const PRE_CHECKPOINT = `sh -c 'touch /tmp/pause; while [ ! -e /tmp/paused ]; do usleep 20000; done'`;
const POST_RESUME = 'rm -f /tmp/pause';

describeNeeding(dockerdRequirement, 'consistent snapshots: container hooks through a real dockerd', () => {
  const plugin = `convoy-hooks-${randomBytes(4).toString('hex')}`;
  const dockerDir = path.join(dir, 'docker');
  const storeDir = path.join(dir, 'store');
  const containers: string[] = [];
  let daemon: RunningDaemon | undefined;
  let dockerd: Dockerd | undefined;
  let client: ConvoyClient;

  const docker = (...args: string[]) => (dockerd as Dockerd).dockerOk(args);
  /** Starts a writer container on a new Convoy volume with these labels; returns the volume. */
  const startWriter = async (name: string, labels: Record<string, string>) => {
    const volume = `${name}-vol`;
    const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      ...labelArgs,
      '-v',
      `${volume}:/data`,
      `--volume-driver=${plugin}`,
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      WRITER,
    );
    containers.push(name);
    // The writer has started once its first record is on the volume.
    await docker('exec', name, 'sh', '-c', 'while [ ! -s /data/count ]; do usleep 20000; done');
    return volume;
  };
  const snapshotConsistent = async (volume: string) =>
    (await client.call('createSnapshot', { VolumeName: volume, Verbose: true, Consistent: true })) as SnapshotResponse & { Consistency: ConsistencyReport };
  const snapshotsOf = async (volume: string) => Object.keys((await client.call('inspectVolume', { VolumeName: volume })).Snapshots ?? {});
  const vfsPath = async (volume: string) => (await client.call('inspectVolume', { VolumeName: volume })).DriverInfo.Path as string;
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (err) {
      if (isConvoyError(err)) return err;
      throw err;
    }
    throw new Error('expected the snapshot to be refused');
  };

  beforeAll(async () => {
    await mkdir(storeDir, { recursive: true });
    // Convoy first: a dockerd that knows volumes of a missing plugin stalls at start.
    daemon = await startTestDaemon(dir, {
      docker: { pluginDir: DOCKER_PLUGIN_DIR, pluginName: plugin, required: true },
      createOnDockerMount: true,
      hooks: { dockerSocket: path.join(dockerDir, 'docker.sock'), timeoutMs: 30_000 },
      metrics: { host: '127.0.0.1', port: 0 },
      csi: { socketPath: path.join(dir, 'csi.sock'), nodeId: 'a', backupTargets: [] },
    });
    client = new ConvoyClient(daemon.socketPath);
    dockerd = await startDockerd(dockerDir);
    await importBusybox(dockerd, dir);
  });

  afterAll(async () => {
    if (containers.length > 0) await dockerd?.docker(['rm', '-f', ...containers]);
    await dockerd?.stop();
    await daemon?.stop();
  });

  it('a continuously written volume, snapshotted with --consistent, backed up and restored, holds the state its pre-hook declared', async () => {
    const volume = await startWriter('writer', { 'io.convoy.hooks.pre-snapshot': PRE_CHECKPOINT, 'io.convoy.hooks.post-snapshot': POST_RESUME });
    const run = await convoy([
      '--socket',
      (daemon as RunningDaemon).socketPath,
      '--json',
      'snapshot',
      'create',
      volume,
      '--consistent',
      '--name',
      'writer-snap',
    ]);
    expect(run.code).toBe(0);
    const snapshot = run.json<SnapshotResponse & { Consistency: ConsistencyReport }>();
    expect(snapshot.Name).toBe('writer-snap');
    expect(snapshot.Consistency).toMatchObject({ mode: 'application-consistent', freeze: 'none', notes: [] });
    expect(snapshot.Consistency.containers).toEqual([
      expect.objectContaining({
        name: 'writer',
        onError: 'fail',
        pre: expect.objectContaining({ outcome: 'ok', exitCode: 0 }),
        post: expect.objectContaining({ outcome: 'ok', exitCode: 0 }),
      }),
    ]);

    const backup = (await client.call('createBackup', { SnapshotName: 'writer-snap', URL: `vfs://${storeDir}`, Verbose: true })) as BackupURLResponse;
    await client.call('createVolume', { Name: 'writer-restored', BackupURL: backup.URL });
    const restored = await vfsPath('writer-restored');
    const checkpoint = (await readFile(path.join(restored, 'checkpoint'), 'utf8')).trim();
    const count = Number((await readFile(path.join(restored, 'count'), 'utf8')).trim());
    const log = (await readFile(path.join(restored, 'log'), 'utf8')).trim().split('\n');
    // The state the pre-hook declared: exactly the records up to the checkpoint, the count agreeing.
    expect(checkpoint).toBe(`checkpoint ${count}`);
    expect(count).toBeGreaterThan(0);
    expect(log).toEqual(Array.from({ length: count }, (_, i) => `record ${i + 1}`));

    // The post-hook let the writer go on: more records arrive on the live volume.
    await docker('exec', 'writer', 'sh', '-c', `while [ "$(cat /data/count)" -le ${count} ]; do usleep 20000; done`);
    // The table says the same for a person.
    const table = await convoy([
      '--socket',
      (daemon as RunningDaemon).socketPath,
      '--table',
      'snapshot',
      'create',
      volume,
      '--consistent',
      '--name',
      'writer-snap2',
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^writer-snap2\napplication-consistent; no freeze/);
    expect(table.stdout).toMatch(/writer\s+fail\s+ok \d+ ms\s+ok \d+ ms/);
  });

  it("a schedule created with --consistent runs the hooks around each run's snapshot and records what it became", async () => {
    const socket = (daemon as RunningDaemon).socketPath;
    const create = await convoy([
      '--socket',
      socket,
      '--json',
      'schedule',
      'create',
      'writer-hourly',
      '--volume',
      'writer-vol',
      '--every',
      '1h',
      '--consistent',
    ]);
    expect(create.code).toBe(0);
    expect(create.json<{ consistent?: boolean }>().consistent).toBe(true);
    const run = await convoy(['--socket', socket, '--table', 'schedule', 'run', 'writer-hourly']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('application-consistent (hooks: writer)');
    const inspected = await client.call('inspectSchedule', { name: 'writer-hourly' });
    expect(inspected.lastRun?.consistency).toEqual({ mode: 'application-consistent', containers: ['writer'], notes: [] });
    await client.call('deleteSchedule', { name: 'writer-hourly' });
  });

  it('CSI CreateSnapshot with the VolumeSnapshotClass parameter consistent: "true" runs the hooks', async () => {
    const csi = csiClients(path.join(dir, 'csi.sock'));
    try {
      const created = (await csi.controller.CreateSnapshot!({
        name: 'snapshot-csi-writer',
        source_volume_id: 'writer-vol',
        parameters: { consistent: 'true' },
      })) as {
        snapshot: { snapshot_id: string; ready_to_use: boolean };
      };
      expect(created.snapshot.ready_to_use).toBe(true);
      const snapshot = await client.call('inspectSnapshot', { SnapshotName: created.snapshot.snapshot_id });
      const copy = snapshot.DriverInfo.FilePath as string;
      const count = Number((await readFile(path.join(copy, 'count'), 'utf8')).trim());
      expect((await readFile(path.join(copy, 'checkpoint'), 'utf8')).trim()).toBe(`checkpoint ${count}`);
      expect((await readFile(path.join(copy, 'log'), 'utf8')).trim().split('\n')).toHaveLength(count);
    } finally {
      csi.close();
    }
  });

  it('a failing pre-hook under on-error=fail takes no snapshot, names the container and the hook, and still runs the post-hook', async () => {
    const volume = await startWriter('failing', {
      'io.convoy.hooks.pre-snapshot': `sh -c 'echo cannot checkpoint >&2; exit 3'`,
      'io.convoy.hooks.post-snapshot': 'touch /data/post-ran',
    });
    const err = await refusal(snapshotConsistent(volume));
    expect(err.code).toBe('COMMAND_FAILED');
    expect(err.message).toContain('container failing');
    expect(err.message).toContain('pre-snapshot hook');
    expect(err.message).toContain('exited 3: cannot checkpoint');
    expect(err.message).toContain('no snapshot taken');
    expect(await snapshotsOf(volume)).toEqual([]);
    expect(await readFile(path.join(await vfsPath(volume), 'post-ran'), 'utf8')).toBe('');
    // Through CSI the same refusal reaches the CO, and no snapshot is left behind.
    const csi = csiClients(path.join(dir, 'csi.sock'));
    try {
      await expect(
        csi.controller.CreateSnapshot!({ name: 'snapshot-csi-failing', source_volume_id: volume, parameters: { consistent: 'true' } }),
      ).rejects.toMatchObject({
        details: expect.stringContaining('the pre-snapshot hook of container failing'),
      });
    } finally {
      csi.close();
    }
    expect(await snapshotsOf(volume)).toEqual([]);
  });

  it('under on-error=continue the snapshot is taken and the result says it is only crash-consistent, and why', async () => {
    const volume = await startWriter('lenient', { 'io.convoy.hooks.pre-snapshot': 'false', 'io.convoy.hooks.on-error': 'continue' });
    const snapshot = await snapshotConsistent(volume);
    expect(await snapshotsOf(volume)).toEqual([snapshot.Name]);
    expect(snapshot.Consistency.mode).toBe('crash-consistent');
    expect(snapshot.Consistency.containers[0]).toMatchObject({
      name: 'lenient',
      onError: 'continue',
      pre: { argv: ['false'], outcome: 'failed', exitCode: 1 },
    });
    expect(snapshot.Consistency.notes.join('\n')).toContain(
      'the pre-snapshot hook of container lenient (false) exited 1; the snapshot was taken anyway (on-error=continue)',
    );
  });

  it('a hook that outlives its timeout label counts as failed: no snapshot under on-error=fail', async () => {
    const volume = await startWriter('stuck', { 'io.convoy.hooks.pre-snapshot': 'sleep 600', 'io.convoy.hooks.timeout': '1s' });
    const err = await refusal(snapshotConsistent(volume));
    expect(err.message).toContain('the pre-snapshot hook of container stuck (sleep 600) timed out');
    expect(err.details?.containers).toEqual([
      expect.objectContaining({ name: 'stuck', timeoutMs: 1000, pre: expect.objectContaining({ outcome: 'timed-out' }) }),
    ]);
    expect(await snapshotsOf(volume)).toEqual([]);
  });

  it('a container that stops during the snapshot: the snapshot stands, the post-hook that could not run is reported', async () => {
    const volume = await startWriter('leaving', {
      // The writer's loop ends at /tmp/stop, so the container exits while its own pre-hook waits.
      'io.convoy.hooks.pre-snapshot': `sh -c 'touch /tmp/stop; sleep 600'`,
      'io.convoy.hooks.post-snapshot': POST_RESUME,
      'io.convoy.hooks.on-error': 'continue',
    });
    const snapshot = await snapshotConsistent(volume);
    expect(await snapshotsOf(volume)).toEqual([snapshot.Name]);
    const [report] = snapshot.Consistency.containers;
    expect(report?.pre?.outcome).not.toBe('ok');
    expect(report?.post).toMatchObject({ outcome: 'error', message: expect.stringContaining('is not running') });
    expect(snapshot.Consistency.mode).toBe('crash-consistent');
    expect(snapshot.Consistency.notes.join('\n')).toContain('the post-snapshot hook of container leaving (rm -f /tmp/pause) could not run');
  });

  it('containers without hook labels: the snapshot is taken as before and the result says so', async () => {
    const volume = await startWriter('plain', {});
    const snapshot = await snapshotConsistent(volume);
    expect(snapshot.Consistency).toEqual({
      mode: 'crash-consistent',
      freeze: 'none',
      containers: [],
      notes: [
        'container plain mounts the volume but declares no hooks',
        'no running container that mounts the volume declares hooks; the snapshot is crash-consistent',
      ],
    });
    // Without --consistent nothing changes: Go's answer, no Consistency field.
    const plain = (await client.call('createSnapshot', { VolumeName: volume, Verbose: true })) as SnapshotResponse;
    expect(Object.keys(plain).sort()).toEqual(['CreatedTime', 'DriverInfo', 'Name', 'VolumeName']);
  });

  it('the metrics count what consistent snapshots became and every hook run, refused ones included', async () => {
    const families = await scrape((daemon as RunningDaemon).metricsUrl as string);
    const modes = (mode: string) => sample(families, 'convoy_consistent_snapshots_total', { mode });
    const hooks = (phase: string, outcome: string) => sample(families, 'convoy_snapshot_hooks_total', { phase, outcome });
    // writer twice, its schedule run and CSI; lenient, leaving and plain; failing (twice: API and CSI) and stuck refused.
    expect(modes('application-consistent')).toBe(4);
    expect(modes('crash-consistent')).toBe(3);
    expect(modes('refused')).toBe(3);
    expect(hooks('pre', 'ok')).toBe(4);
    expect(hooks('post', 'ok')).toBe(6);
    expect(hooks('pre', 'failed')).toBe(4);
    expect(hooks('pre', 'timed-out')).toBe(1);
    expect(hooks('post', 'error')).toBe(1);
  });
});
