import type { VolumeRecord } from '@convoy/core';
import { type CsiContext, nodeTopology, traitsOf } from './context.js';
import type { VolumeRecordCsi } from './csi-records.js';
import type { ContentSource, CsiVolume } from './messages.js';

/**
 * A volume's capacity: its real size where the driver has one, else what Kubernetes asked for
 * (a vfs directory has no size of its own; the request is recorded, not enforced).
 */
export function capacityOf(volume: VolumeRecord, csi: VolumeRecordCsi | undefined): number {
  return volume.size > 0 ? volume.size : (csi?.capacityBytes ?? 0);
}

function contentSourceOf(text: string): ContentSource | null {
  if (text.startsWith('snapshot:')) return { snapshot: { snapshot_id: text.slice('snapshot:'.length) } };
  if (text.startsWith('volume:')) return { volume: { volume_id: text.slice('volume:'.length) } };
  return null;
}

/**
 * A standby volume (convoy create --standby) says which backup it holds and when it last synced,
 * in the only free-form place CSI gives a volume; other volumes carry none of these keys.
 */
function standbyContext(volume: VolumeRecord): Record<string, string> {
  const standby = volume.standby;
  if (!standby) return {};
  return {
    standbyBackup: standby.backupUrl,
    standbyBackupCreatedAt: standby.backupCreatedAt,
    standbySyncedAt: standby.syncedAt,
    ...(standby.status ? { standbyStatus: standby.status } : {}),
    ...(standby.syncing ? { standbyInterruptedSyncTo: standby.syncing.to } : {}),
  };
}

/** The CSI view of a Convoy volume; node-local volumes carry this node's topology. */
export async function csiVolumeOf(ctx: CsiContext, volume: VolumeRecord, csi?: VolumeRecordCsi): Promise<CsiVolume> {
  const record = csi ?? (await ctx.records.volume(volume.name));
  return {
    volume_id: volume.name,
    capacity_bytes: capacityOf(volume, record),
    volume_context: { driver: volume.driver, ...standbyContext(volume) },
    content_source: contentSourceOf(record?.contentSource ?? ''),
    accessible_topology: traitsOf(ctx, volume.driver).nodeLocal ? [nodeTopology(ctx)] : [],
  };
}

/** The Convoy driver's `info()` facts, e.g. the filesystem devicemapper makes or its pool usage. */
export async function driverFacts(ctx: CsiContext, driver: string): Promise<Record<string, unknown>> {
  const info = await ctx.service.info();
  return info.driverInfo[driver] ?? {};
}
