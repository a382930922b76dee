import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { type CsiClients, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { tempDir } from '@convoy/test-support/tmp';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = { available: process.getuid?.() === 0, name: 'root (CSI staging and publishing are bind mounts)', install: 'run the tests as root' };
const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/** Node calls on real mounts: stage once, publish read-write and read-only, stats, idempotency. */
describeNeeding(root, 'CSI Node service on the host (vfs)', () => {
  let dir: string;
  let kubelet: string;
  let daemon: RunningDaemon;
  let csi: CsiClients;

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-node-');
    kubelet = path.join(dir, 'kubelet');
    await mkdir(path.join(kubelet, 'plugins', 'pv', 'globalmount'), { recursive: true });
    await mkdir(path.join(kubelet, 'pods', 'writer'), { recursive: true });
    await mkdir(path.join(kubelet, 'pods', 'reader'), { recursive: true });
    const socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'n1', backupTargets: [], kubeletDir: kubelet } });
    csi = csiClients(socket);
  });
  afterAll(async () => {
    csi?.close();
    await daemon?.stop();
  });

  it('stages once, publishes read-write and read-only, reports usage, and undoes it all idempotently', async () => {
    const { volume } = await csi.controller.CreateVolume!({ name: 'pvc-web', volume_capabilities: [MOUNT_RWO] });
    const id = volume.volume_id as string;
    const staging = path.join(kubelet, 'plugins', 'pv', 'globalmount');
    const writer = path.join(kubelet, 'pods', 'writer', 'mount');
    const reader = path.join(kubelet, 'pods', 'reader', 'mount');
    const publish = (target: string, readonly: boolean) =>
      csi.node.NodePublishVolume!({ volume_id: id, staging_target_path: staging, target_path: target, volume_capability: MOUNT_RWO, readonly });

    const early = await publish(writer, false).catch((e: unknown) => e);
    expect(grpcCode(early)).toBe(status.FAILED_PRECONDITION); // not staged yet
    for (let i = 0; i < 2; i++) await csi.node.NodeStageVolume!({ volume_id: id, staging_target_path: staging, volume_capability: MOUNT_RWO });
    for (let i = 0; i < 2; i++) await publish(writer, false);
    await publish(reader, true);
    const mismatch = await publish(reader, false).catch((e: unknown) => e);
    expect(grpcCode(mismatch)).toBe(status.ALREADY_EXISTS);

    await writeFile(path.join(writer, 'index.html'), '<h1>convoy</h1>');
    expect(await readFile(path.join(reader, 'index.html'), 'utf8')).toBe('<h1>convoy</h1>');
    await expect(writeFile(path.join(reader, 'defaced.html'), 'x')).rejects.toMatchObject({ code: 'EROFS' });

    const stats = await csi.node.NodeGetVolumeStats!({ volume_id: id, volume_path: writer });
    const byUnit = Object.fromEntries(stats.usage.map((u: { unit: string; total: number; used: number; available: number }) => [u.unit, u]));
    expect(byUnit['BYTES'].total).toBeGreaterThan(0);
    expect(byUnit['BYTES'].used + byUnit['BYTES'].available).toBeLessThanOrEqual(byUnit['BYTES'].total);
    expect(byUnit['INODES'].total).toBeGreaterThan(0);
    const elsewhere = await csi.node.NodeGetVolumeStats!({ volume_id: id, volume_path: path.join(kubelet, 'pods') }).catch((e: unknown) => e);
    expect(grpcCode(elsewhere)).toBe(status.NOT_FOUND);

    for (const target of [reader, writer, writer]) await csi.node.NodeUnpublishVolume!({ volume_id: id, target_path: target });
    await expect(access(writer)).rejects.toMatchObject({ code: 'ENOENT' }); // the plugin removes what it created
    for (let i = 0; i < 2; i++) await csi.node.NodeUnstageVolume!({ volume_id: id, staging_target_path: staging });
    await csi.controller.DeleteVolume!({ volume_id: id });
  });
});
