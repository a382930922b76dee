import type { SnapshotRecord, VolumeRecord } from '@convoy/core';
import { applyRetentionPolicy, type KeepReason, type RetentionPolicy } from './policy.js';

/** What `snapshot forget` decided (and, unless a dry run, did). Newest first. */
/** What forgetting snapshots needs of the volume service (the VolumeManager is one). */
export interface SnapshotSource {
  getVolume(name: string): Promise<VolumeRecord>;
  deleteSnapshot(snapshotName: string): Promise<void>;
}

export interface SnapshotForgetReport {
  volumeName: string;
  dryRun: boolean;
  policy: RetentionPolicy;
  kept: Array<{ snapshot: SnapshotRecord; reasons: KeepReason[] }>;
  removed: SnapshotRecord[];
}

/**
 * Applies a retention policy to a volume's local snapshots, through the service's own
 * `deleteSnapshot` (so each delete waits for a backup reading that snapshot). `among` narrows
 * the snapshots considered: a schedule forgets only the snapshots it made, never a hand-made one.
 * A delete that fails stops the forget with its error; what was deleted stays deleted.
 */
export async function forgetSnapshots(
  service: SnapshotSource,
  volumeName: string,
  opts: { policy: RetentionPolicy; dryRun?: boolean; among?: (snapshot: SnapshotRecord) => boolean },
): Promise<SnapshotForgetReport> {
  const volume = await service.getVolume(volumeName);
  const candidates = volume.snapshots.filter(opts.among ?? (() => true));
  const decision = applyRetentionPolicy(
    candidates.map((snapshot) => ({ name: snapshot.name, createdAt: snapshot.createdAt, snapshot })),
    opts.policy,
  );
  const dryRun = opts.dryRun === true;
  if (!dryRun) for (const { snapshot } of decision.remove) await service.deleteSnapshot(snapshot.name);
  return {
    volumeName,
    dryRun,
    policy: opts.policy,
    kept: decision.keep.map(({ item, reasons }) => ({ snapshot: item.snapshot, reasons })),
    removed: decision.remove.map((r) => r.snapshot),
  };
}
