/** The CSI messages this plugin reads and writes, as @grpc/proto-loader presents them (see proto.ts). */

export interface VolumeCapability {
  /** Which of `mount` / `block` is set (proto-loader's `oneofs`); undefined when neither is. */
  access_type?: 'mount' | 'block';
  mount?: { fs_type: string; mount_flags: string[]; volume_mount_group: string } | null;
  block?: Record<string, never> | null;
  access_mode?: { mode: string } | null;
}

export interface ContentSource {
  type?: 'snapshot' | 'volume';
  snapshot?: { snapshot_id: string } | null;
  volume?: { volume_id: string } | null;
}

export interface Topology {
  segments: Record<string, string>;
}

export interface CsiVolume {
  volume_id: string;
  capacity_bytes: number;
  volume_context: Record<string, string>;
  content_source: ContentSource | null;
  accessible_topology: Topology[];
}

export interface CsiSnapshot {
  snapshot_id: string;
  source_volume_id: string;
  size_bytes: number;
  creation_time: { seconds: number; nanos: number };
  ready_to_use: boolean;
}

export function timestampOf(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  const safe = Number.isFinite(ms) ? ms : 0;
  return { seconds: Math.floor(safe / 1000), nanos: (safe % 1000) * 1_000_000 };
}
