import { access } from 'node:fs/promises';
import path from 'node:path';
import { csiClients } from '@convoy/csi-server/testing';
import { sample, scrape } from '@convoy/test-support/prometheus';
import { tempDir } from '@convoy/test-support/tmp';
import type { ScheduleView } from '@convoy/volume-service';
import { afterAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';
import { daemonConfigFromArgs } from './commands/daemon/config.js';

const baseArgs = { pluginName: 'convoy', ignoreDockerDelete: false, createOnDockerMount: false, cmdTimeout: '5m', logLevel: 'info' };

describe('convoy daemon --csi-*', () => {
  const running: RunningDaemon[] = [];
  afterAll(async () => {
    for (const daemon of running) await daemon.stop();
  });

  it('needs --csi-socket for the other CSI flags and a node id with it', () => {
    expect(() => daemonConfigFromArgs({ ...baseArgs, csiNodeId: 'a' })).toThrow(/need --csi-socket/);
    expect(() => daemonConfigFromArgs({ ...baseArgs, csiSocket: '/run/csi.sock' })).toThrow(/--csi-socket needs --csi-node-id/);
    expect(daemonConfigFromArgs({ ...baseArgs, csiSocket: 'csi.sock', csiNodeId: 'a', csiBackupTarget: ['x=vfs:///srv/b'] }).csi).toEqual({
      socketPath: path.resolve('csi.sock'),
      nodeId: 'a',
      backupTargets: ['x=vfs:///srv/b'],
      snapshotMetadata: false,
    });
  });

  it('refuses a malformed --csi-backup-target at start and leaves no socket behind', async () => {
    const dir = await tempDir('convoy-daemon-csi-');
    const socket = path.join(dir, 'csi.sock');
    await expect(startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'a', backupTargets: ['Bad Name=s3://b/p'] } })).rejects.toThrow(
      /--csi-backup-target "Bad Name=s3:\/\/b\/p"/,
    );
    await expect(access(socket)).rejects.toThrow(/ENOENT/);
    await expect(access(path.join(dir, 'convoy.sock'))).rejects.toThrow(/ENOENT/);
  });

  it('serves CSI beside the Docker socket on the same volumes: convoy list shows a CSI volume', async () => {
    const dir = await tempDir('convoy-daemon-csi-');
    const socket = path.join(dir, 'csi.sock');
    const daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'a', backupTargets: [] } });
    running.push(daemon);
    expect(daemon.csiSocketPath).toBe(socket);
    const csi = csiClients(socket);
    try {
      await csi.controller.CreateVolume!({ name: 'pvc-seen', volume_capabilities: [{ mount: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] });
    } finally {
      csi.close();
    }
    const listed = await convoy(['--socket', daemon.socketPath, 'list']);
    expect(listed.code).toBe(0);
    expect(listed.json<Record<string, { Name: string; Driver: string }>>()).toEqual({
      'pvc-seen': expect.objectContaining({ Name: 'pvc-seen', Driver: 'vfs' }),
    });
    const info = await convoy(['--socket', daemon.socketPath, 'info']);
    expect(info.json<{ General: { CSI: unknown } }>().General.CSI).toEqual({ socket, nodeId: 'a', backupTargets: [], snapshotMetadata: false });
  });

  it('serves CSI on the daemon’s one service: its operations are counted, and DeleteVolume pauses the volume’s schedules', async () => {
    const dir = await tempDir('convoy-daemon-csi-');
    const socket = path.join(dir, 'csi.sock');
    const daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'a', backupTargets: [] }, metrics: { host: '127.0.0.1', port: 0 } });
    running.push(daemon);
    const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
    const counted = async (operation: string) => sample(await scrape(daemon.metricsUrl!), 'convoy_operations_total', { operation, outcome: 'success' }) ?? 0;
    const csi = csiClients(socket);
    try {
      const created = await csi.controller.CreateVolume!({
        name: 'pvc-counted',
        volume_capabilities: [{ mount: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }],
      });
      expect(await counted('create_volume')).toBe(1);
      expect((await cli(['schedule', 'create', 'nightly', '--volume', 'pvc-counted', '--every', '24h'])).code).toBe(0);
      await csi.controller.DeleteVolume!({ volume_id: (created as { volume: { volume_id: string } }).volume.volume_id });
      expect(await counted('delete_volume')).toBe(1);
    } finally {
      csi.close();
    }
    const schedule = (await cli(['schedule', 'inspect', 'nightly', '--json'])).json<ScheduleView>();
    expect(schedule).toMatchObject({ paused: true, pausedReason: expect.stringMatching(/volume pvc-counted was deleted/) });
  });
});
