import { BACKUP_BLOCK_SIZE } from '@convoy/backup-store';
import { type ContainerHookReport, isConvoyError, type Progress, type ProgressListener, type SnapshotRecord } from '@convoy/core';
import type { StoreOperations, VolumeService } from '@convoy/volume-service';
import type { ConvoyMetrics } from './convoy-metrics.js';

/** The volume operations that change something, and the names they carry in metrics. */
const COUNTED: Partial<Record<keyof VolumeService, string>> = {
  createVolume: 'create_volume',
  deleteVolume: 'delete_volume',
  mountVolume: 'mount_volume',
  umountVolume: 'umount_volume',
  resizeVolume: 'resize_volume',
  createSnapshot: 'create_snapshot',
  deleteSnapshot: 'delete_snapshot',
  createBackup: 'create_backup',
  forgetSnapshots: 'forget_snapshots',
  syncStandby: 'sync_standby',
  activateStandby: 'activate_standby',
};

/** The store operations that change something. */
const COUNTED_STORE_OPERATIONS: Partial<Record<keyof StoreOperations, string>> = {
  deleteBackup: 'delete_backup',
  pruneBackups: 'prune_backups',
  forgetBackups: 'forget_backups',
  copyBackups: 'copy_backups',
};

/**
 * The daemon's VolumeService with every changing operation counted and timed. Reads (list,
 * inspect, info) pass straight through: Docker polls them and they say nothing about health.
 * The result keeps the service's type, so the CSI front end gets its changed-block method too.
 */
export function instrumentService<S extends VolumeService>(service: S, metrics: ConvoyMetrics): S {
  return instrumented<VolumeService>(service, COUNTED, metrics) as S;
}

/** The daemon's store operations, their changing ones counted and timed as the service's are. */
export function instrumentStoreOperations(ops: StoreOperations, metrics: ConvoyMetrics): StoreOperations {
  return instrumented(ops, COUNTED_STORE_OPERATIONS, metrics);
}

function instrumented<T extends object>(target: T, counted: Partial<Record<keyof T, string>>, metrics: ConvoyMetrics): T {
  const wrapped = Object.create(target) as T;
  for (const [method, operation] of Object.entries(counted) as Array<[keyof T, string]>) {
    const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
    Object.defineProperty(wrapped, method, {
      value: (...args: unknown[]) => {
        const kind = method === 'createVolume' && (args[0] as { backupUrl?: string } | undefined)?.backupUrl ? 'restore' : operation;
        return timed(metrics, kind, () => {
          if (method === 'createBackup') return backup(metrics, original, args);
          if (method === 'createSnapshot') return snapshot(metrics, original, args);
          return original(...args);
        });
      },
    });
  }
  return wrapped;
}

async function timed<T>(metrics: ConvoyMetrics, operation: string, run: () => Promise<T>): Promise<T> {
  const stop = metrics.durations.startTimer({ operation });
  try {
    const result = await run();
    metrics.operations.inc({ operation, outcome: 'success' });
    return result;
  } catch (err) {
    metrics.operations.inc({ operation, outcome: isConvoyError(err) ? err.code.toLowerCase() : 'internal' });
    throw err;
  } finally {
    stop();
  }
}

/** A snapshot, with a consistent one's mode and hooks counted, also when a pre-hook refused it. */
async function snapshot(metrics: ConvoyMetrics, original: (...args: unknown[]) => Promise<unknown>, args: unknown[]): Promise<unknown> {
  try {
    const record = (await original(...args)) as SnapshotRecord;
    if (record.consistency) metrics.consistentSnapshot(record.consistency.mode, record.consistency.containers);
    return record;
  } catch (err) {
    const containers = isConvoyError(err) ? (err.details?.containers as ContainerHookReport[] | undefined) : undefined;
    if (containers) metrics.consistentSnapshot('refused', containers);
    throw err;
  }
}

/** A backup, with the bytes its progress reported and the blocks its summary says it stored (packs or one object per block alike). */
async function backup(metrics: ConvoyMetrics, original: (...args: unknown[]) => Promise<unknown>, [req, onProgress]: unknown[]): Promise<unknown> {
  let last: Progress | undefined;
  const listener: ProgressListener = (p) => {
    last = p;
    (onProgress as ProgressListener | undefined)?.(p);
  };
  const summary = (await original(req, listener)) as { volumeName: string; uploadedBytes?: number; uploadedBlocks?: number; mode: string };
  const read = last?.doneBytes ?? 0;
  metrics.bytesRead.inc(read);
  metrics.bytesUploaded.inc(summary.uploadedBytes ?? 0);
  if (summary.mode === 'delta-block') {
    const uploaded = summary.uploadedBlocks ?? 0;
    metrics.blocksUploaded.inc(uploaded);
    metrics.blocksDeduplicated.inc(Math.max(0, Math.ceil(read / BACKUP_BLOCK_SIZE) - uploaded));
  }
  metrics.lastBackup.set({ volume: summary.volumeName }, Date.now() / 1000);
  return summary;
}
