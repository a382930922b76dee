import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { type CsiClients, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const root = { available: process.getuid?.() === 0, name: 'root (CSI staging and publishing are bind mounts)', install: 'run the tests as root' };
const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

interface Node {
  dir: string;
  kubelet: string;
  daemon: RunningDaemon;
  csi: CsiClients;
}

/**
 * Two daemons with their own roots and volume paths, one S3 store between them: a `bak`
 * VolumeSnapshot taken on node a restores as a new volume on node b from its id alone.
 */
describeNeeding(root, 'CSI backups through VolumeSnapshots across two nodes and one S3 store', () => {
  const nodes: Record<'a' | 'b', Node> = {} as Record<'a' | 'b', Node>;

  beforeAll(async () => {
    const s3 = await startS3rver({ buckets: ['convoy-csi'] });
    for (const id of ['a', 'b'] as const) {
      const dir = await tempDir(`convoy-csi-node-${id}-`);
      const kubelet = path.join(dir, 'kubelet');
      await mkdir(kubelet);
      const socket = path.join(dir, 'csi.sock');
      const daemon = await startTestDaemon(dir, {
        csi: { socketPath: socket, nodeId: id, backupTargets: [`offsite=s3://convoy-csi@us-east-1/k8s,endpoint=${s3.endpoint}`], kubeletDir: kubelet },
      });
      nodes[id] = { dir, kubelet, daemon, csi: csiClients(socket) };
    }
  });
  afterAll(async () => {
    for (const node of Object.values(nodes)) {
      node.csi.close();
      await node.daemon.stop();
    }
  });

  async function stageAndPublish(node: Node, volumeId: string, name: string): Promise<{ staging: string; target: string }> {
    const staging = path.join(node.kubelet, 'plugins', name, 'globalmount');
    const target = path.join(node.kubelet, 'pods', name, 'mount');
    await mkdir(staging, { recursive: true });
    await mkdir(path.dirname(target), { recursive: true });
    await node.csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_RWO });
    await node.csi.node.NodePublishVolume!({
      volume_id: volumeId,
      staging_target_path: staging,
      target_path: target,
      volume_capability: MOUNT_RWO,
      readonly: false,
    });
    return { staging, target };
  }

  async function unpublishAndUnstage(node: Node, volumeId: string, paths: { staging: string; target: string }): Promise<void> {
    await node.csi.node.NodeUnpublishVolume!({ volume_id: volumeId, target_path: paths.target });
    await node.csi.node.NodeUnstageVolume!({ volume_id: volumeId, staging_target_path: paths.staging });
  }

  it('restores a bak snapshot taken on node a as a new volume on node b, byte for byte; deleting it deletes the backup', async () => {
    const { a, b } = nodes;
    const created = await a.csi.controller.CreateVolume!({
      name: 'pvc-orders',
      capacity_range: { required_bytes: 64 << 20 },
      volume_capabilities: [MOUNT_RWO],
      parameters: { driver: 'vfs' },
    });
    const volumeId = created.volume.volume_id as string;
    expect(volumeId).toBe('pvc-orders');
    expect(created.volume.accessible_topology).toEqual([]); // vfs on a shared path: any node
    const onA = await stageAndPublish(a, volumeId, 'pvc-orders');
    const files: Record<string, Buffer> = { 'base/table.dat': randomBytes(3 << 20), 'base/wal/000001': randomBytes(200_000), PG_VERSION: Buffer.from('16\n') };
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(onA.target, name)), { recursive: true });
      await writeFile(path.join(onA.target, name), bytes);
    }

    const request = { name: 'snapshot-orders-1', source_volume_id: volumeId, parameters: { type: 'bak', backupTarget: 'offsite' } };
    let answer = await a.csi.controller.CreateSnapshot!(request);
    const snapshotId = answer.snapshot.snapshot_id as string;
    expect(snapshotId).toMatch(/^bak\/offsite\/pvc-orders\//);
    expect(Buffer.byteLength(snapshotId)).toBeLessThanOrEqual(128);
    expect(answer.snapshot.ready_to_use).toBe(false); // the upload runs in the background
    // The snapshot controller repeats the call until the upload is done: same snapshot each time.
    while (!answer.snapshot.ready_to_use) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await a.csi.controller.CreateSnapshot!(request);
      expect(answer.snapshot.snapshot_id).toBe(snapshotId);
    }
    const listed = await a.csi.controller.ListSnapshots!({ snapshot_id: snapshotId });
    expect(listed.entries.map((e: { snapshot: { snapshot_id: string; ready_to_use: boolean } }) => [e.snapshot.snapshot_id, e.snapshot.ready_to_use])).toEqual([
      [snapshotId, true],
    ]);
    await unpublishAndUnstage(a, volumeId, onA);
    // Node a loses the volume (its backup finished, so the delete is allowed): b restores anyway.
    await a.csi.controller.DeleteVolume!({ volume_id: volumeId });

    const restored = await b.csi.controller.CreateVolume!({
      name: 'pvc-orders-dr',
      volume_capabilities: [MOUNT_RWO],
      parameters: { driver: 'vfs' },
      volume_content_source: { snapshot: { snapshot_id: snapshotId } },
    });
    expect(restored.volume.content_source.snapshot.snapshot_id).toBe(snapshotId);
    const onB = await stageAndPublish(b, restored.volume.volume_id, 'pvc-orders-dr');
    for (const [name, bytes] of Object.entries(files)) expect((await readFile(path.join(onB.target, name))).equals(bytes), name).toBe(true);
    await unpublishAndUnstage(b, restored.volume.volume_id, onB);

    await a.csi.controller.DeleteSnapshot!({ snapshot_id: snapshotId });
    const again = await b.csi.controller.CreateVolume!({
      name: 'pvc-orders-dr2',
      volume_capabilities: [MOUNT_RWO],
      parameters: { driver: 'vfs' },
      volume_content_source: { snapshot: { snapshot_id: snapshotId } },
    }).catch((err: unknown) => err);
    expect(grpcCode(again)).toBe(status.NOT_FOUND);
  });
});
