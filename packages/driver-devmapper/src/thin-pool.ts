import { type CommandRunner, ConvoyError, KeyedMutex } from '@convoy/core';
import { type DeviceMapper, type DmTableLine, messageFailure } from './device-mapper.js';
import { type NoSpacePolicy, SECTOR_BYTES } from './options.js';
import { type PoolStatus, parsePoolStatus } from './pool-status.js';
import { parseThinDelta, type ThinDelta } from './thin-delta.js';

/** dm names are at most 127 bytes (DM_NAME_LEN 128 with the NUL). */
const DM_NAME_MAX = 127;
/** Low-water mark in blocks and the feature Convoy's pools always had (compatibility). */
const LOW_WATER_BLOCKS = 32768;

export interface PoolGeometry {
  poolName: string;
  /** `major:minor` of the metadata and data devices. */
  metadataNumber: string;
  dataNumber: string;
  dataSectors: number;
  blockSizeSectors: number;
}

/** The thin-pool table Convoy used, with the no-space policy as a second feature. */
export function poolTable(geometry: PoolGeometry, noSpace: NoSpacePolicy): string {
  const features = ['skip_block_zeroing', ...(noSpace === 'error' ? ['error_if_no_space'] : [])];
  return `0 ${geometry.dataSectors} thin-pool ${geometry.metadataNumber} ${geometry.dataNumber} ${geometry.blockSizeSectors} ${LOW_WATER_BLOCKS} ${features.length} ${features.join(' ')}`;
}

/**
 * One active thin pool: device names, the messages that create and delete thin devices, and the
 * pool-metadata queries (thin_delta, thin_ls) that need a metadata snapshot. The kernel allows
 * one metadata snapshot per pool, so every query holds it alone: reserve, read, release in a
 * `finally`, one at a time.
 */
export class ThinPool {
  private readonly metadataSnapshots = new KeyedMutex();

  constructor(
    private readonly run: CommandRunner,
    readonly dm: DeviceMapper,
    readonly geometry: PoolGeometry,
    readonly metadataDevice: string,
    /** `major:minor` of the pool device, how thin tables name it. */
    readonly poolNumber: string,
  ) {}

  get name(): string {
    return this.geometry.poolName;
  }

  get blockBytes(): number {
    return this.geometry.blockSizeSectors * SECTOR_BYTES;
  }

  /**
   * `<pool>-<id>-<name>`: namespaced by the pool so it never collides with another dm user
   * (Convoy used the bare volume name), unique through the id, readable through the name.
   */
  deviceName(devId: number, name: string): string {
    return `${this.name}-${devId}-${name}`.slice(0, DM_NAME_MAX);
  }

  thinTable(devId: number, sizeBytes: number): string {
    return `0 ${sizeBytes / SECTOR_BYTES} thin ${this.poolNumber} ${devId}`;
  }

  /** The thin device id a live table maps, when the table is a thin target on this pool. */
  thinDevIdOf(table: DmTableLine[] | undefined): number | undefined {
    const line = table?.length === 1 ? table[0] : undefined;
    if (line?.target !== 'thin' || line.args[0] !== this.poolNumber) return undefined;
    return Number(line.args[1]);
  }

  async status(): Promise<PoolStatus> {
    return parsePoolStatus(await this.dm.status(this.name));
  }

  async createThin(devId: number): Promise<void> {
    await this.dm.message(this.name, `create_thin ${devId}`);
  }

  /** The origin must be suspended by the caller: the kernel accepts an unsuspended one, inconsistently. */
  async createSnapshot(devId: number, originDevId: number): Promise<void> {
    await this.dm.message(this.name, `create_snap ${devId} ${originDevId}`);
  }

  /** Deletes a thin device; one that is already gone is fine (recovery repeats deletes). */
  async deleteThin(devId: number): Promise<void> {
    try {
      await this.dm.message(this.name, `delete ${devId}`);
    } catch (err) {
      if (messageFailure(err) === 'missing') return;
      if (messageFailure(err) === 'busy') throw new ConvoyError('BUSY', `thin device ${devId} of pool ${this.name} is still active`, { cause: err });
      throw err;
    }
  }

  async releaseMetadataSnapshot(): Promise<void> {
    await this.dm.message(this.name, 'release_metadata_snap');
  }

  /** Runs `read` against a metadata snapshot held for exactly its duration. */
  withMetadataSnapshot<T>(read: () => Promise<T>): Promise<T> {
    return this.metadataSnapshots.run(this.name, async () => {
      await this.dm.message(this.name, 'reserve_metadata_snap');
      try {
        return await read();
      } finally {
        await this.releaseMetadataSnapshot();
      }
    });
  }

  /** Changed blocks between two thin devices, from the pool's own mappings. */
  delta(leftDevId: number, rightDevId: number): Promise<ThinDelta> {
    return this.withMetadataSnapshot(async () => {
      const { stdout } = await this.run('thin_delta', ['-m', '--snap1', String(leftDevId), '--snap2', String(rightDevId), this.metadataDevice]);
      const delta = parseThinDelta(stdout);
      if (delta.dataBlockSize !== this.geometry.blockSizeSectors) {
        throw new ConvoyError(
          'STATE_ERROR',
          `thin_delta reports ${delta.dataBlockSize}-sector blocks, but pool ${this.name} was created with ${this.geometry.blockSizeSectors}`,
        );
      }
      return delta;
    });
  }

  /** Ids of every thin device (volumes and snapshots) in the pool's metadata. */
  deviceIds(): Promise<number[]> {
    return this.withMetadataSnapshot(async () => {
      const { stdout } = await this.run('thin_ls', ['-m', '--no-headers', '--format', 'DEV', this.metadataDevice]);
      return parseDeviceList(stdout);
    });
  }
}

/** `thin_ls --no-headers --format DEV` prints one id per line. */
export function parseDeviceList(text: string): number[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      if (!/^\d+$/.test(line)) throw new ConvoyError('CORRUPT', `unexpected thin_ls output line ${JSON.stringify(line)}`);
      return Number(line);
    });
}
