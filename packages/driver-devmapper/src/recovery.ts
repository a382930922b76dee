import type { LiveDevices } from './device-mapper.js';
import type { Mounts } from './mounts.js';
import type { Snapshots } from './snapshots.js';
import type { Volumes } from './volumes.js';

export interface RecoveryReport {
  /** Thin devices in the pool that no volume, snapshot or intent accounts for; kept, never deleted. */
  orphanDevIds: number[];
  /** Volumes or snapshots whose thin device the pool does not hold. */
  missingDevices: Array<{ volume: string; snapshot?: string; devId: number }>;
  /** Everything recovery could not fix, in words, for `convoy info` and the log. */
  problems: string[];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Brings the pool and the state back into agreement at start-up, after a clean stop, a daemon
 * crash or a reboot: drops a metadata snapshot a crash left held, resumes devices a crash left
 * suspended, removes stale snapshot and restore devices, finishes or rolls back every recorded
 * intent, compares the pool's thin devices with the state, then activates and re-mounts volumes.
 * `live` is the device listing the pool's set-up made; it is listed again before activating
 * volumes only when recovery removed a device or completed an intent (the usual start does
 * neither, and so lists the devices once).
 */
export async function recover(volumes: Volumes, snapshots: Snapshots, mounts: Mounts, live: LiveDevices): Promise<RecoveryReport> {
  const { dm, pool, store, intents, log } = volumes.parts;
  const report: RecoveryReport = { orphanDevIds: [], missingDevices: [], problems: [] };
  const problem = (message: string, fields: Record<string, unknown> = {}): void => {
    report.problems.push(message);
    log.error(message, fields);
  };

  if ((await pool.status()).heldMetadataRoot !== undefined) {
    await pool.releaseMetadataSnapshot();
    log.warn('released a pool metadata snapshot left held by an interrupted backup', { pool: pool.name });
  }

  const volumeDevices = new Set(
    store
      .allVolumes()
      .filter((v) => !v.retainedAt)
      .map((v) => volumes.deviceName(v)),
  );
  let devicesChanged = false;
  for (const [name, table] of live.tables) {
    if (pool.thinDevIdOf(table) === undefined) continue;
    if (live.devices.get(name)?.suspended) {
      await dm.resume(name);
      log.warn('resumed a device an interrupted snapshot left suspended', { device: name });
    }
    if (volumeDevices.has(name)) continue;
    try {
      devicesChanged = true;
      await dm.removeIfPresent(name);
    } catch (err) {
      problem(`could not remove stale device ${name}: ${describe(err)}`, { device: name });
    }
  }

  for (const { id, intent } of await intents.pending()) {
    devicesChanged = true;
    log.warn('completing an operation interrupted by a crash', { ...intent });
    if (intent.op === 'create-volume') await volumes.rollBackCreate(intent);
    else if (intent.op === 'create-snapshot') await snapshots.rollBackCreate(intent);
    else if (intent.op === 'delete-volume') await volumes.finishDelete(intent);
    else await snapshots.finishDelete(intent);
    await intents.clear(id);
  }

  let poolIds: Set<number> | undefined;
  try {
    poolIds = new Set(await pool.deviceIds());
  } catch (err) {
    problem(`could not list the thin devices of pool ${pool.name} (is it read-only or failed?): ${describe(err)}`);
  }
  const known = new Set<number>();
  for (const volume of store.allVolumes()) {
    const owned: Array<{ devId: number; snapshot?: string }> = [
      { devId: volume.devId },
      ...Object.entries(volume.snapshots).map(([snapshot, s]) => ({ devId: s.devId, snapshot })),
    ];
    for (const { devId, snapshot } of owned) {
      known.add(devId);
      if (poolIds && !poolIds.has(devId)) {
        report.missingDevices.push({ volume: volume.name, devId, ...(snapshot ? { snapshot } : {}) });
        problem(`pool ${pool.name} has no thin device ${devId} for ${snapshot ? `snapshot ${snapshot} of ` : ''}volume ${volume.name}`);
      }
    }
  }
  if (poolIds) {
    report.orphanDevIds = [...poolIds].filter((id) => !known.has(id)).sort((a, b) => a - b);
    if (report.orphanDevIds.length > 0) {
      problem(`pool ${pool.name} holds thin devices no volume or snapshot accounts for: ${report.orphanDevIds.join(', ')}; they are kept, not deleted`);
    }
    await store.raiseLastDevId(Math.max(0, ...poolIds));
  }

  const liveTables = devicesChanged ? await dm.tables() : live.tables;
  for (const volume of store.allVolumes()) {
    if (volume.retainedAt || report.missingDevices.some((m) => m.devId === volume.devId)) continue;
    try {
      await volumes.activate(volume, liveTables);
      if (volume.mountpoint) await mounts.mount(volume, volume.mountpoint);
    } catch (err) {
      problem(`could not bring volume ${volume.name} back: ${describe(err)}`, { volume: volume.name });
    }
  }
  return report;
}
