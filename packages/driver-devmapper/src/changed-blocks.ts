import type { ChangedBlockOps, SnapshotExtents } from '@convoy/core';
import { CHANGED_KINDS, MAPPED_KINDS, rangesToExtents } from './extents.js';
import type { Snapshots } from './snapshots.js';
import type { Volumes } from './volumes.js';

/**
 * The extents of a snapshot from the pool's own mappings, read by thin_delta from a held
 * metadata snapshot (the pool's `delta`): without a base, every mapped block of the snapshot;
 * with one, every block not provably the same (`left_only` included: it now reads as zeros).
 * Widened outward to `alignBytes`, never narrowed.
 */
export async function snapshotExtents(
  volumes: Volumes,
  snapshots: Snapshots,
  request: { volumeName: string; snapshotName: string; baseSnapshotName: string | undefined; alignBytes: number },
): Promise<SnapshotExtents> {
  const { snapshot } = snapshots.require(request.volumeName, request.snapshotName);
  const base = request.baseSnapshotName === undefined ? snapshot : snapshots.require(request.volumeName, request.baseSnapshotName).snapshot;
  const { pool } = volumes.parts;
  const delta = await pool.delta(base.devId, snapshot.devId);
  const extents = rangesToExtents(delta.ranges, request.baseSnapshotName === undefined ? MAPPED_KINDS : CHANGED_KINDS, {
    poolBlockBytes: pool.blockBytes,
    alignBytes: request.alignBytes,
    limitBytes: snapshot.size,
  });
  return { size: snapshot.size, extents };
}

/** Changed-block metadata at the pool block's granularity, for CSI SnapshotMetadata. */
export class DevmapperChangedBlocks implements ChangedBlockOps {
  constructor(
    private readonly volumes: Volumes,
    private readonly snapshots: Snapshots,
  ) {}

  get blockSize(): number {
    return this.volumes.parts.pool.blockBytes;
  }

  allocatedExtents(volumeName: string, snapshotName: string): Promise<SnapshotExtents> {
    return snapshotExtents(this.volumes, this.snapshots, { volumeName, snapshotName, baseSnapshotName: undefined, alignBytes: this.blockSize });
  }

  changedExtents(volumeName: string, baseSnapshotName: string, targetSnapshotName: string): Promise<SnapshotExtents> {
    return snapshotExtents(this.volumes, this.snapshots, { volumeName, snapshotName: targetSnapshotName, baseSnapshotName, alignBytes: this.blockSize });
  }
}
