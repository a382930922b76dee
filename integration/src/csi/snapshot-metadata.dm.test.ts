import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import type { Extent } from '@convoy/core';
import { type CsiClients, collectStream, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { deviceMapper, MiB, type TestPool, testPool } from '@convoy/driver-devmapper/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';

const KiB = 1024;
const POOL_BLOCK = 64 * KiB;
const BLOCK_RWO = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

interface Tuple {
  byte_offset: number;
  size_bytes: number;
}

/** Sorted, merged extents of the pool blocks that byte ranges touch. */
function poolBlocksOf(ranges: readonly Extent[]): Extent[] {
  const spans = ranges
    .map((r) => ({ offset: Math.floor(r.offset / POOL_BLOCK) * POOL_BLOCK, end: Math.ceil((r.offset + r.length) / POOL_BLOCK) * POOL_BLOCK }))
    .sort((a, b) => a.offset - b.offset);
  const out: Extent[] = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last && span.offset <= last.offset + last.length) last.length = Math.max(last.length, span.end - last.offset);
    else out.push({ offset: span.offset, length: span.end - span.offset });
  }
  return out;
}

const asExtents = (tuples: readonly Tuple[]): Extent[] => poolBlocksOf(tuples.map((t) => ({ offset: t.byte_offset, length: t.size_bytes })));

/**
 * CSI SnapshotMetadata on devicemapper, in a real dm-thin kernel with 64 KiB pool blocks: known
 * writes through a published Block volume between two snapshots come back as exactly the pool
 * blocks they touched.
 */
describeNeeding(deviceMapper, 'CSI SnapshotMetadata with the devicemapper driver', () => {
  let pool: TestPool;
  let dir: string;
  let daemon: RunningDaemon;
  let csi: CsiClients;

  beforeAll(async () => {
    pool = await testPool({ options: { 'dm.thinpoolblocksize': String(POOL_BLOCK / 512) } });
    dir = await mkdtemp('/tmp/convoy-csi-meta-');
    await mkdir(path.join(dir, 'kubelet', 'pods', 'p1'), { recursive: true });
    const socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, {
      drivers: ['devicemapper'],
      driverOptions: pool.options,
      csi: { socketPath: socket, nodeId: 'dm-node', backupTargets: [], kubeletDir: path.join(dir, 'kubelet'), snapshotMetadata: true },
    });
    csi = csiClients(socket);
  });
  afterAll(async () => {
    csi?.close();
    await daemon?.stop();
    await pool?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const allocated = async (snapshotId: string, extra: Record<string, unknown> = {}): Promise<Tuple[]> =>
    (await collectStream(csi.snapshotMetadata.GetMetadataAllocated!({ snapshot_id: snapshotId, ...extra }))).flatMap((m) => m.block_metadata);
  const delta = async (base: string, target: string, extra: Record<string, unknown> = {}): Promise<Tuple[]> =>
    (await collectStream(csi.snapshotMetadata.GetMetadataDelta!({ base_snapshot_id: base, target_snapshot_id: target, ...extra }))).flatMap(
      (m) => m.block_metadata,
    );

  it('streams exactly the changed pool blocks, resumes from starting_offset, and lists what a fresh volume holds', async () => {
    const identity = await csi.identity.GetPluginCapabilities!({});
    expect(identity.capabilities.map((c: { service?: { type: string } }) => c.service?.type)).toContain('SNAPSHOT_METADATA_SERVICE');

    // Node-local: the volume carries this node's topology, and a request for another node is refused.
    const elsewhere = await csi.controller.CreateVolume!({
      name: 'pvc-elsewhere',
      volume_capabilities: [BLOCK_RWO],
      accessibility_requirements: { requisite: [{ segments: { 'convoy.rancher.io/node': 'other' } }] },
    }).catch((e: unknown) => e);
    expect(grpcCode(elsewhere)).toBe(status.RESOURCE_EXHAUSTED);
    const { volume } = await csi.controller.CreateVolume!({
      name: 'pvc-blocks',
      capacity_range: { required_bytes: 64 * MiB },
      volume_capabilities: [BLOCK_RWO],
      accessibility_requirements: { requisite: [{ segments: { 'convoy.rancher.io/node': 'dm-node' } }] },
    });
    expect(volume.accessible_topology).toEqual([{ segments: { 'convoy.rancher.io/node': 'dm-node' } }]);
    const base = (await csi.controller.CreateSnapshot!({ name: 'blocks-0', source_volume_id: volume.volume_id })).snapshot.snapshot_id as string;
    const fresh = await allocated(base);
    expect(fresh.length).toBeGreaterThan(0); // the filesystem the driver made at create

    const target = path.join(dir, 'kubelet', 'pods', 'p1', 'dev');
    await csi.node.NodeStageVolume!({ volume_id: volume.volume_id, staging_target_path: path.join(dir, 'kubelet', 'staging'), volume_capability: BLOCK_RWO });
    await csi.node.NodePublishVolume!({
      volume_id: volume.volume_id,
      staging_target_path: path.join(dir, 'kubelet', 'staging'),
      target_path: target,
      volume_capability: BLOCK_RWO,
      readonly: false,
    });
    const writes: Extent[] = [
      { offset: 24 * MiB + 100, length: 4 * KiB }, // inside one pool block
      { offset: 40 * MiB + 32 * KiB, length: 100 * KiB }, // across two pool blocks
      { offset: 64 * MiB - 4 * KiB, length: 4 * KiB }, // the volume's last block
    ];
    const device = await open(target, 'r+');
    for (const w of writes) await device.write(Buffer.alloc(w.length, 0xab), 0, w.length, w.offset);
    await device.sync();
    await device.close();
    await csi.node.NodeUnpublishVolume!({ volume_id: volume.volume_id, target_path: target });
    const next = (await csi.controller.CreateSnapshot!({ name: 'blocks-1', source_volume_id: volume.volume_id })).snapshot.snapshot_id as string;

    const changed = await delta(base, next, { max_results: 1 });
    expect(asExtents(changed)).toEqual(poolBlocksOf(writes));
    for (let i = 1; i < changed.length; i++) expect(changed[i]!.byte_offset).toBeGreaterThanOrEqual(changed[i - 1]!.byte_offset + changed[i - 1]!.size_bytes);

    // Resume after the first tuple: exactly the rest. Resume inside an extent: from its block on.
    const first = changed[0]!;
    expect(await delta(base, next, { starting_offset: first.byte_offset + first.size_bytes })).toEqual(changed.slice(1));
    const second = changed[1]!;
    expect(asExtents(await delta(base, next, { starting_offset: second.byte_offset + POOL_BLOCK + 10 }))).toEqual(
      poolBlocksOf([
        { offset: second.byte_offset + POOL_BLOCK, length: second.size_bytes - POOL_BLOCK },
        ...changed.slice(2).map((t) => ({ offset: t.byte_offset, length: t.size_bytes })),
      ]),
    );

    // Allocated after the writes: what the fresh volume held plus the written blocks, nothing else.
    expect(asExtents(await allocated(next))).toEqual(poolBlocksOf([...asExtents(fresh), ...writes]));
    const messages = await collectStream(csi.snapshotMetadata.GetMetadataAllocated!({ snapshot_id: next, max_results: 2 }));
    for (const m of messages) {
      expect(m.block_metadata.length).toBeLessThanOrEqual(2);
      expect(m).toMatchObject({ block_metadata_type: 'VARIABLE_LENGTH', volume_capacity_bytes: 64 * MiB });
    }

    expect(grpcCode(await allocated(next, { starting_offset: 65 * MiB }).catch((e: unknown) => e))).toBe(status.OUT_OF_RANGE);
    expect(grpcCode(await allocated('snapshot-nope').catch((e: unknown) => e))).toBe(status.NOT_FOUND);
    expect(grpcCode(await delta('', next).catch((e: unknown) => e))).toBe(status.INVALID_ARGUMENT);
  });
});
