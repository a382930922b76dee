import { forgetSnapshots } from '@convoy/backup-store';
import type { SnapshotRecord } from '@convoy/core';
import { ConvoyError, toConvoyError } from '@convoy/core';
import type { StoreOperations, VolumeService } from '../manager/types.js';
import { copyRunBackup, forgetInCopies } from './backup-copies.js';
import type { RemovedByRun, RunConsistency, ScheduleSpec } from './types.js';

export interface RunResult {
  snapshot: string;
  backupUrl?: string;
  removedSnapshots: number;
  removedBackups: number;
  removed: RemovedByRun;
  copiedTo?: string[];
  consistency?: RunConsistency;
}

/** Thrown when the schedule's volume is gone: the scheduler pauses the schedule instead of retrying forever. */
export class VolumeGoneError extends ConvoyError {
  constructor(volume: string) {
    super('NOT_FOUND', `volume ${volume} no longer exists`, { details: { volume } });
  }
}

/** `db-nightly-20260102T030000123Z`: the schedule's name and the run's time, to the millisecond. */
export function scheduledSnapshotName(schedule: string, atMs: number): string {
  return `${schedule}-${new Date(atMs).toISOString().replace(/[-:.]/g, '')}`;
}

/** True for the snapshots `scheduledSnapshotName` made for this schedule (and no other's). */
export function isScheduledSnapshotOf(schedule: string): (snapshot: SnapshotRecord) => boolean {
  return (snapshot) => snapshot.name.startsWith(`${schedule}-`) && /^\d{8}T\d{9}Z$/.test(snapshot.name.slice(schedule.length + 1));
}

/**
 * One run: a snapshot, its backup when the schedule names a store, its copies to the schedule's
 * further stores, then retention on the schedule's own snapshots and on the volume's backups in
 * each store (each by its own policy, else the schedule's). Any failure stops the run
 * before retention: a run that did not protect the data never removes older copies. A run whose
 * backup fails removes the snapshot it made, so a failing store never piles snapshots up (on
 * devmapper they fill the pool); its error says what failed and whether that removal worked.
 */
export async function runSchedule(service: VolumeService, stores: StoreOperations, spec: ScheduleSpec, atMs: number): Promise<RunResult> {
  if (!(await service.findVolume(spec.volume))) throw new VolumeGoneError(spec.volume);
  const snapshot = await service.createSnapshot(spec.volume, scheduledSnapshotName(spec.name, atMs), spec.consistent ? { consistent: true } : {});
  const result: RunResult = { snapshot: snapshot.name, removedSnapshots: 0, removedBackups: 0, removed: { snapshots: [], backups: [] } };
  if (snapshot.consistency) {
    const { mode, containers, notes } = snapshot.consistency;
    result.consistency = { mode, containers: containers.map((c) => c.name), notes };
  }
  const endpoint = spec.backup?.endpoint === undefined ? {} : { endpoint: spec.backup.endpoint };
  if (spec.backup) {
    const backup = await service
      .createBackup({
        snapshot: snapshot.name,
        dest: spec.backup.dest,
        ...(spec.backup.compression ? { compression: spec.backup.compression } : {}),
        ...(spec.backup.layout ? { layout: spec.backup.layout } : {}),
        ...endpoint,
      })
      .catch((err: unknown) => removeFailedRunSnapshot(service, snapshot.name, err));
    result.backupUrl = backup.url;
    if (spec.copies?.length) result.copiedTo = await copyRunBackup(stores, spec, backup.url);
  }
  if (spec.keep) {
    const snapshots = await forgetSnapshots(service, spec.volume, { policy: spec.keep, among: isScheduledSnapshotOf(spec.name) });
    result.removedSnapshots = snapshots.removed.length;
    result.removed.snapshots = snapshots.removed.map((s) => s.name);
  }
  const storePolicy = spec.backup?.keep ?? spec.keep;
  if (spec.backup && storePolicy) {
    const backups = await stores.forgetBackups(spec.backup.dest, { volumeName: spec.volume, policy: storePolicy, ...endpoint });
    result.removedBackups = backups.removed.length;
    result.removed.backups = backups.removed.map((b) => b.name);
  }
  if (spec.copies?.length) result.removed.copies = await forgetInCopies(stores, spec);
  return result;
}

/** Removes the snapshot of a run whose backup failed, then throws the backup's error, saying so. */
async function removeFailedRunSnapshot(service: VolumeService, snapshot: string, err: unknown): Promise<never> {
  const failure = toConvoyError(err);
  const cleanup = await service.deleteSnapshot(snapshot).then(
    () => "the run's snapshot was removed",
    (removal: unknown) => `the run's snapshot could not be removed either: ${toConvoyError(removal).message}`,
  );
  throw new ConvoyError(failure.code, `backup of ${snapshot} failed: ${failure.message}; ${cleanup}`, {
    cause: err,
    ...(failure.details ? { details: failure.details } : {}),
  });
}
