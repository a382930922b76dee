import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { convoy, type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { type CsiClients, csiClients } from '@convoy/csi-server/testing';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * CSI shows which backup a standby volume holds and when it last synced (issue 21 item 1), in
 * the volume context of ListVolumes and ControllerGetVolume; other volumes carry only `driver`.
 */
describe('a standby volume seen through CSI', () => {
  let daemon: RunningDaemon;
  let csi: CsiClients;
  let backupUrl: string;

  beforeAll(async () => {
    const dir = await tempDir('convoy-csi-standby-');
    await mkdir(path.join(dir, 'store'));
    await mkdir(path.join(dir, 'kubelet'));
    const socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'n1', backupTargets: [], kubeletDir: path.join(dir, 'kubelet') } });
    csi = csiClients(socket);
    const cli = async (...args: string[]) => {
      const res = await convoy(['--socket', daemon.socketPath, ...args]);
      expect(res.code, res.stderr).toBe(0);
      return res.stdout.trim();
    };
    await cli('create', 'src');
    await writeFile(path.join(await cli('mount', 'src'), 'f'), 'data');
    await cli('snapshot', 'create', 'src', '--name', 'src-1');
    backupUrl = JSON.parse(await cli('--json', 'backup', 'create', 'src-1', '--dest', `vfs://${path.join(dir, 'store')}`)).URL;
    await cli('create', 'dr', '--backup', backupUrl, '--standby');
  });
  afterAll(async () => {
    csi?.close();
    await daemon?.stop();
  });

  it('ListVolumes and ControllerGetVolume carry the standby backup and sync time in the volume context', async () => {
    const { entries } = await csi.controller.ListVolumes!({});
    const byId = new Map(
      (entries as Array<{ volume: { volume_id: string; volume_context: Record<string, string> } }>).map((e) => [e.volume.volume_id, e.volume.volume_context]),
    );
    expect(byId.get('dr')).toMatchObject({
      driver: 'vfs',
      standbyBackup: backupUrl,
      standbySyncedAt: expect.stringMatching(/^\d{4}-/),
      standbyBackupCreatedAt: expect.any(String),
    });
    expect(byId.get('src')).toEqual({ driver: 'vfs' });
    const got = await csi.controller.ControllerGetVolume!({ volume_id: 'dr' });
    expect(got.volume.volume_context.standbyBackup).toBe(backupUrl);
  });
});
