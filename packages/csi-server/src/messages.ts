/**
 * The CSI messages this plugin reads and writes: the types generated from the vendored csi.proto
 * (src/generated, `pnpm --filter @convoy/csi-server generate`), as @grpc/proto-loader presents
 * them with the loader settings in proto.ts. Requests are the `__Output` shapes (every field
 * filled, oneofs named); answers the permissive input shapes.
 */

export type { Topology__Output as Topology } from './generated/csi/v1/Topology.js';
export type { Volume as CsiVolume } from './generated/csi/v1/Volume.js';
export type { VolumeCapability__Output as VolumeCapability } from './generated/csi/v1/VolumeCapability.js';
export type { VolumeContentSource__Output as ContentSource } from './generated/csi/v1/VolumeContentSource.js';

import type { Snapshot } from './generated/csi/v1/Snapshot.js';

/** A snapshot as this plugin answers it: the fields it always fills. */
export type CsiSnapshot = Required<Pick<Snapshot, 'snapshot_id' | 'source_volume_id' | 'size_bytes' | 'creation_time' | 'ready_to_use'>>;

export function timestampOf(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  const safe = Number.isFinite(ms) ? ms : 0;
  return { seconds: Math.floor(safe / 1000), nanos: (safe % 1000) * 1_000_000 };
}
