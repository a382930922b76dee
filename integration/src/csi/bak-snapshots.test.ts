import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { createJsonLogger } from '@convoy/core';
import { type CsiClients, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/**
 * `type: bak` snapshots when the store fails: the snapshot controller's repeated CreateSnapshot
 * sees the failure, the next call uploads again, and the snapshot turns ready once the store
 * works; a node without the target refuses to delete what it cannot reach.
 */
describe('CSI bak snapshots when the backup target fails', () => {
  let dir: string;
  let store: string;
  const daemons: RunningDaemon[] = [];
  let csi: CsiClients;
  let stranger: CsiClients;

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-bak-');
    store = path.join(dir, 'store'); // not created yet: every upload fails until it exists
    const start = async (name: string, targets: string[]): Promise<CsiClients> => {
      const nodeDir = path.join(dir, name);
      await mkdir(nodeDir);
      const socket = path.join(nodeDir, 'csi.sock');
      daemons.push(
        await startTestDaemon(nodeDir, { csi: { socketPath: socket, nodeId: name, backupTargets: targets, kubeletDir: path.join(nodeDir, 'kubelet') } }),
      );
      return csiClients(socket);
    };
    csi = await start('a', [`nas=vfs://${store}`]);
    stranger = await start('b', []);
  });
  afterAll(async () => {
    csi?.close();
    stranger?.close();
    for (const daemon of daemons) await daemon.stop();
  });

  it('reports the failed upload, retries it on the next call and is ready once the store works', async () => {
    const { volume } = await csi.controller.CreateVolume!({ name: 'pvc-ledger', volume_capabilities: [MOUNT_RWO] });
    const request = { name: 'ledger-1', source_volume_id: volume.volume_id, parameters: { type: 'bak', backupTarget: 'nas' } };
    const first = await csi.controller.CreateSnapshot!(request);
    expect(first.snapshot).toMatchObject({ snapshot_id: 'bak/nas/pvc-ledger/ledger-1', ready_to_use: false });

    let failure: unknown;
    for (let i = 0; i < 100 && failure === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      failure = await csi.controller.CreateSnapshot!(request).then(
        (answer) => {
          expect(answer.snapshot.ready_to_use).toBe(false);
          return undefined;
        },
        (err: unknown) => err,
      );
    }
    // The target store is missing: a precondition the operator must fix, not a missing source volume.
    expect(grpcCode(failure)).toBe(status.FAILED_PRECONDITION);
    expect((failure as { details: string }).details).toMatch(/the backup of snapshot ledger-1 to target nas failed: .*does not exist/);

    await mkdir(store);
    let answer = await csi.controller.CreateSnapshot!(request);
    for (let i = 0; i < 100 && !answer.snapshot.ready_to_use; i++) {
      await new Promise((r) => setTimeout(r, 50));
      answer = await csi.controller.CreateSnapshot!(request);
    }
    expect(answer.snapshot).toMatchObject({ snapshot_id: first.snapshot.snapshot_id, ready_to_use: true });

    // A node that does not know the target cannot delete the backup, and says so.
    const refused = await stranger.controller.DeleteSnapshot!({ snapshot_id: answer.snapshot.snapshot_id }).catch((e: unknown) => e);
    expect(grpcCode(refused)).toBe(status.FAILED_PRECONDITION);
    expect((refused as { details: string }).details).toMatch(/backup target nas, which this node does not know/);

    await csi.controller.DeleteSnapshot!({ snapshot_id: answer.snapshot.snapshot_id });
    await csi.controller.DeleteSnapshot!({ snapshot_id: answer.snapshot.snapshot_id }); // idempotent
    expect((await csi.controller.ListSnapshots!({})).entries).toEqual([]);
    await rm(store, { recursive: true });
  });
});

describe('CSI bak snapshot failures reach the CO', () => {
  it('keeps a failed upload for the next CreateSnapshot whatever ListSnapshots does, and never uploads from a read', async () => {
    const dir = await tempDir('convoy-csi-bak-list-');
    const store = path.join(dir, 'store'); // missing: the upload fails
    const socket = path.join(dir, 'csi.sock');
    const logFile = path.join(dir, 'daemon.log');
    const log = createJsonLogger({ level: 'info', file: logFile });
    const daemon = await startTestDaemon(dir, {
      log,
      csi: { socketPath: socket, nodeId: 'a', backupTargets: [`nas=vfs://${store}`], kubeletDir: path.join(dir, 'kubelet') },
    });
    const csi = csiClients(socket);
    const failures = async () =>
      (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((line) => line.includes('csi snapshot backup failed')).length;
    try {
      const { volume } = await csi.controller.CreateVolume!({ name: 'pvc-audit', volume_capabilities: [MOUNT_RWO] });
      const request = { name: 'audit-1', source_volume_id: volume.volume_id, parameters: { type: 'bak', backupTarget: 'nas' } };
      expect((await csi.controller.CreateSnapshot!(request)).snapshot.ready_to_use).toBe(false);
      await until('the upload to fail', async () => ((await failures()) === 1 ? true : undefined));

      // Reads report from the record: not ready, and they neither consume the failure nor upload again.
      for (let i = 0; i < 3; i++) {
        const listed = await csi.controller.ListSnapshots!({ snapshot_id: 'bak/nas/pvc-audit/audit-1' });
        expect(listed.entries.map((e: { snapshot: { ready_to_use: boolean } }) => e.snapshot.ready_to_use)).toEqual([false]);
      }
      const reported = await csi.controller.CreateSnapshot!(request).catch((e: unknown) => e);
      expect(grpcCode(reported), String(reported)).toBe(status.FAILED_PRECONDITION);
      expect((reported as { details: string }).details).toMatch(/the backup of snapshot audit-1 to target nas failed/);
      expect(await failures()).toBe(1);

      // The CO's retry uploads again.
      await mkdir(store);
      let answer = await csi.controller.CreateSnapshot!(request);
      for (let i = 0; i < 100 && !answer.snapshot.ready_to_use; i++) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await csi.controller.CreateSnapshot!(request);
      }
      expect(answer.snapshot.ready_to_use).toBe(true);
      expect((await csi.controller.ListSnapshots!({ snapshot_id: answer.snapshot.snapshot_id })).entries[0].snapshot.ready_to_use).toBe(true);
    } finally {
      csi.close();
      await daemon.stop();
      log.close();
    }
  });
});

describe('CSI bak snapshots across a daemon restart', () => {
  it('uploads after a restart a bak snapshot whose backup never finished before it', async () => {
    const dir = await tempDir('convoy-csi-bak-restart-');
    const store = path.join(dir, 'store');
    const socket = path.join(dir, 'csi.sock');
    const config = { csi: { socketPath: socket, nodeId: 'a', backupTargets: [`nas=vfs://${store}`], kubeletDir: path.join(dir, 'kubelet') } };
    let daemon = await startTestDaemon(dir, config);
    let csi = csiClients(socket);
    try {
      const { volume } = await csi.controller.CreateVolume!({ name: 'pvc-journal', volume_capabilities: [MOUNT_RWO] });
      const request = { name: 'journal-1', source_volume_id: volume.volume_id, parameters: { type: 'bak', backupTarget: 'nas' } };
      expect((await csi.controller.CreateSnapshot!(request)).snapshot.ready_to_use).toBe(false); // the store is missing: it fails
      csi.close();
      await daemon.stop();

      await mkdir(store);
      daemon = await startTestDaemon(dir, config);
      csi = csiClients(socket);
      // The restart resumes the upload by itself: the list (a read) sees it finish, no CreateSnapshot needed.
      const listed = await until('the resumed upload to finish', async () => {
        const { entries } = await csi.controller.ListSnapshots!({ source_volume_id: volume.volume_id });
        return entries.every((e: { snapshot: { ready_to_use: boolean } }) => e.snapshot.ready_to_use) ? entries : undefined;
      });
      expect(listed.map((e: { snapshot: { snapshot_id: string } }) => e.snapshot.snapshot_id)).toEqual(['bak/nas/pvc-journal/journal-1']);
      const answer = await csi.controller.CreateSnapshot!(request);
      expect(answer.snapshot).toMatchObject({ snapshot_id: 'bak/nas/pvc-journal/journal-1', ready_to_use: true });
      const restored = await csi.controller.CreateVolume!({
        name: 'pvc-journal-copy',
        volume_capabilities: [MOUNT_RWO],
        volume_content_source: { snapshot: { snapshot_id: answer.snapshot.snapshot_id } },
      });
      expect(restored.volume.volume_id).toBe('pvc-journal-copy');
    } finally {
      csi.close();
      await daemon.stop();
    }
  });
});
