import { type CommandRunner, ConvoyError, type Logger, type SnapshotRecord, type VolumeRecord } from '@convoy/core';
import { CHANGE_BLOCK_SIZE } from './change-block.js';
import type { CrashStep, DriverHooks } from './crash-points.js';
import type { DeviceMapper, DmTableLine } from './device-mapper.js';
import type { Intent, IntentLog } from './intent-log.js';
import type { DevmapperOptions } from './options.js';
import { describeBytes } from './size.js';
import type { SnapshotState, StateStore, VolumeState } from './state-store.js';
import type { ThinPool } from './thin-pool.js';

/** Everything the driver's parts share; built once at start. */
export interface DriverParts {
  run: CommandRunner;
  log: Logger;
  root: string;
  options: DevmapperOptions;
  store: StateStore;
  intents: IntentLog;
  pool: ThinPool;
  dm: DeviceMapper;
  hooks: DriverHooks;
}

type CreateIntent = Extract<Intent, { op: 'create-volume' }>;
type DeleteIntent = Extract<Intent, { op: 'delete-volume' }>;

export function snapshotRecord(volumeName: string, snapshotName: string, snapshot: SnapshotState): SnapshotRecord {
  return { name: snapshotName, volumeName, createdAt: snapshot.createdAt, driverInfo: { DevID: snapshot.devId, Size: snapshot.size } };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Thin devices of volumes: sizes, activation, provisioning a new one and the two multi-step
 * operations recovery must be able to finish (roll back a create, roll forward a delete).
 */
export class Volumes {
  /** Volume sizes are multiples of the pool block and of the change block, so backups align. */
  readonly sizeUnit: number;

  constructor(readonly parts: DriverParts) {
    const block = parts.pool.blockBytes;
    this.sizeUnit = (block / gcd(block, CHANGE_BLOCK_SIZE)) * CHANGE_BLOCK_SIZE;
  }

  async reached(step: CrashStep, subject: string): Promise<void> {
    await this.parts.hooks.reached?.(step, subject);
  }

  /** A size for a new volume: the default when absent or 0 (as Convoy), else a checked one. */
  sizeFor(requested: number | undefined): number {
    return requested === undefined || requested === 0 ? this.parts.options.defaultVolumeSize : this.checkSize(requested);
  }

  /** INVALID_ARGUMENT unless `size` is a positive multiple of the size unit. */
  checkSize(size: number): number {
    if (!Number.isSafeInteger(size) || size <= 0 || size % this.sizeUnit !== 0) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `size ${size} bytes is not a positive multiple of ${describeBytes(this.sizeUnit)} (the pool block size, and the 2 MiB backup block)`,
        {
          details: { size, unit: this.sizeUnit },
        },
      );
    }
    return size;
  }

  /** A volume users can see; NOT_FOUND otherwise (a reference-only deleted one is hidden). */
  require(name: string): VolumeState {
    const volume = this.parts.store.volume(name);
    if (!volume || volume.retainedAt) throw new ConvoyError('NOT_FOUND', `volume ${name} does not exist in driver devicemapper`);
    return volume;
  }

  deviceName(volume: Pick<VolumeState, 'devId' | 'name'>): string {
    return this.parts.pool.deviceName(volume.devId, volume.name);
  }

  /**
   * Makes the volume's device live with its recorded size and returns its node: creates it, or
   * grows its table after a resize. (Devices a crash left suspended are resumed by recovery.)
   * `liveTables`, when the caller just listed every device, saves asking dmsetup again.
   */
  async activate(volume: VolumeState, liveTables?: Map<string, DmTableLine[]>): Promise<string> {
    const { dm, pool } = this.parts;
    const name = this.deviceName(volume);
    const table = pool.thinTable(volume.devId, volume.size);
    const live = liveTables ? liveTables.get(name) : await dm.table(name);
    if (!live) return dm.create(name, table);
    if (pool.thinDevIdOf(live) !== volume.devId) {
      throw new ConvoyError('STATE_ERROR', `device ${name} is active but does not map thin device ${volume.devId} of pool ${pool.name}`);
    }
    if (live[0]?.length !== volume.size / 512) await dm.replaceTable(name, table);
    return dm.ensureNode(name);
  }

  /**
   * BUSY when a delete could not finish: the volume's device is held open by some process, or a
   * backup is reading a snapshot being deleted. Checked before the delete records its intent,
   * because from then on the delete is carried through (after a crash, at the next start).
   */
  async assertDeletable(volume: VolumeState, what: 'volume' | { snapshot: string }): Promise<void> {
    const devices = await this.parts.dm.devices();
    const own = devices.get(this.deviceName(volume));
    if (what === 'volume' && own && own.openCount > 0) {
      throw new ConvoyError('BUSY', `volume ${volume.name} is open by another process (device ${own.name})`);
    }
    const snapshots = what === 'volume' ? Object.keys(volume.snapshots) : [what.snapshot];
    for (const snapshot of snapshots) {
      const state = volume.snapshots[snapshot];
      if (state && devices.has(this.parts.pool.deviceName(state.devId, snapshot))) {
        throw new ConvoyError('BUSY', `snapshot ${snapshot} of volume ${volume.name} is being read by a backup`);
      }
    }
  }

  async deactivate(volume: Pick<VolumeState, 'devId' | 'name'>): Promise<void> {
    await this.parts.dm.removeIfPresent(this.deviceName(volume));
  }

  /**
   * First steps of a create or a restore: a durable id, an intent naming it, the thin device,
   * its activation. Returns the intent id the caller clears once the volume's state is saved;
   * on failure everything is rolled back before the error is rethrown.
   */
  async provision(name: string, size: number): Promise<{ devId: number; intentId: string; node: string }> {
    const { store, intents, pool } = this.parts;
    const devId = await store.allocateDevId();
    await this.reached('create-volume:id-allocated', name);
    const intent: CreateIntent = { op: 'create-volume', volume: name, devId };
    const intentId = await intents.record(intent);
    await this.reached('create-volume:intent-recorded', name);
    try {
      await pool.createThin(devId);
      await this.reached('create-volume:thin-created', name);
      const node = await this.parts.dm.create(this.deviceName({ devId, name }), pool.thinTable(devId, size));
      await this.reached('create-volume:activated', name);
      return { devId, intentId, node };
    } catch (err) {
      await this.abandon(intent, intentId);
      throw err;
    }
  }

  /** Rolls back a create that did not complete and forgets its intent. */
  async abandon(intent: CreateIntent, intentId: string): Promise<void> {
    await this.rollBackCreate(intent);
    await this.parts.intents.clear(intentId);
  }

  /** Undoes an unfinished create: the volume never reached its caller, so nothing is lost. */
  async rollBackCreate(intent: CreateIntent): Promise<void> {
    const saved = this.parts.store.volume(intent.volume);
    if (saved?.devId === intent.devId) return; // the create completed; only its intent was left
    await this.deactivate({ devId: intent.devId, name: intent.volume });
    await this.parts.pool.deleteThin(intent.devId);
    this.parts.log.info('rolled back an unfinished volume create', { volume: intent.volume, devId: intent.devId });
  }

  /** Deletes the volume's snapshots, device and state; safe to repeat after a crash. */
  async finishDelete(intent: DeleteIntent): Promise<void> {
    const { pool, store } = this.parts;
    const volume = store.volume(intent.volume);
    const volumeDevId = intent.devIds[intent.devIds.length - 1] as number;
    for (const devId of intent.devIds.slice(0, -1)) await pool.deleteThin(devId);
    await this.reached('delete-volume:snapshots-deleted', intent.volume);
    const name = this.deviceName({ devId: volumeDevId, name: intent.volume });
    if (await this.parts.dm.table(name)) {
      // Hand the blocks back to the data device (discard passdown) so no later volume reads them.
      await this.parts.run('blkdiscard', [await this.parts.dm.ensureNode(name)]);
      await this.parts.dm.removeIfPresent(name);
    }
    await this.reached('delete-volume:deactivated', intent.volume);
    await pool.deleteThin(volumeDevId);
    await this.reached('delete-volume:thin-deleted', intent.volume);
    if (volume?.devId === volumeDevId) await store.removeVolume(intent.volume);
  }

  record(volume: VolumeState): VolumeRecord {
    const record: VolumeRecord = {
      name: volume.name,
      driver: 'devicemapper',
      size: volume.size,
      createdAt: volume.createdAt,
      snapshots: Object.entries(volume.snapshots)
        .map(([name, snapshot]) => snapshotRecord(volume.name, name, snapshot))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name)),
      driverInfo: {
        DevID: volume.devId,
        Device: this.parts.dm.nodePath(this.deviceName(volume)),
        Filesystem: volume.fs ?? null,
        ThinPool: this.parts.pool.name,
      },
    };
    if (volume.mountpoint) record.mountpoint = volume.mountpoint;
    return record;
  }
}
