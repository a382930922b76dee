import {
  ConvoyError,
  type CreateVolumeRequest,
  type DeleteVolumeRequest,
  type DriverContext,
  type DriverTraits,
  type VolumeDriver,
  type VolumeRecord,
} from '@convoy/core';
import { DevmapperBackupOps } from './backup-ops.js';
import { DevmapperChangedBlocks } from './changed-blocks.js';
import type { DriverHooks } from './crash-points.js';
import { DeviceMapper } from './device-mapper.js';
import { growFilesystem, makeFilesystem } from './filesystem.js';
import { type Intent, IntentLog } from './intent-log.js';
import { Mounts } from './mounts.js';
import { parseOptions, SECTOR_BYTES } from './options.js';
import { setUpPool } from './pool-setup.js';
import { METADATA_BLOCK_BYTES } from './pool-status.js';
import { type RecoveryReport, recover } from './recovery.js';
import { describeBytes } from './size.js';
import { Snapshots } from './snapshots.js';
import { StateStore, type VolumeState } from './state-store.js';
import { Volumes } from './volumes.js';

type DeleteVolumeIntent = Extract<Intent, { op: 'delete-volume' }>;

function percent(used: number, total: number): number {
  return total === 0 ? 0 : Math.round((used / total) * 1000) / 10;
}

/**
 * Volumes as thin devices of one device-mapper thin pool. State lives under the driver root;
 * the pool's metadata is the truth about devices, and start-up reconciles the two.
 */
export class DevmapperDriver implements VolumeDriver {
  readonly name = 'devicemapper';
  readonly snapshots: Snapshots;
  readonly backup: DevmapperBackupOps;
  readonly changedBlocks: DevmapperChangedBlocks;
  /** Thin devices of this node's pool; sizes are multiples of the pool block and the backup block. */
  readonly traits: DriverTraits;
  private readonly mounts: Mounts;

  private constructor(
    private readonly volumes: Volumes,
    private recovery: RecoveryReport,
  ) {
    this.mounts = new Mounts(volumes);
    this.traits = { nodeLocal: true, blockDevice: true, sizeUnit: volumes.sizeUnit, honoursSize: true };
    this.snapshots = new Snapshots(volumes);
    this.backup = new DevmapperBackupOps(volumes, this.snapshots);
    this.changedBlocks = new DevmapperChangedBlocks(volumes, this.snapshots);
  }

  /** Sets up or re-opens the pool, then recovers whatever a crash or a reboot left behind. */
  static async start(ctx: DriverContext, hooks: DriverHooks = {}): Promise<DevmapperDriver> {
    const options = parseOptions(ctx.options);
    const store = await StateStore.open(ctx.root);
    const intents = await IntentLog.open(ctx.root);
    const dm = new DeviceMapper(ctx.run);
    const { pool, live } = await setUpPool({ run: ctx.run, dm, store, options, log: ctx.log });
    const volumes = new Volumes({ run: ctx.run, log: ctx.log, root: ctx.root, options, store, intents, pool, dm, hooks });
    const driver = new DevmapperDriver(volumes, { orphanDevIds: [], missingDevices: [], problems: [] });
    driver.recovery = await recover(volumes, driver.snapshots, driver.mounts, live);
    return driver;
  }

  async info(): Promise<Record<string, unknown>> {
    const { pool, options, store, root } = this.volumes.parts;
    const config = store.poolConfig;
    const status = await pool.status();
    const data = { used: status.usedDataBlocks * pool.blockBytes, total: status.totalDataBlocks * pool.blockBytes };
    const metadata = { used: status.usedMetadataBlocks * METADATA_BLOCK_BYTES, total: status.totalMetadataBlocks * METADATA_BLOCK_BYTES };
    const warnings: string[] = [];
    for (const [what, usage] of [['data', data] as const, ['metadata', metadata] as const]) {
      if (percent(usage.used, usage.total) >= options.warnPercent) {
        warnings.push(
          `thin pool ${pool.name} ${what} is ${percent(usage.used, usage.total)}% full (${describeBytes(usage.used)} of ${describeBytes(usage.total)}); free space or extend the pool before writes fail`,
        );
      }
    }
    if (status.mode !== 'rw') warnings.push(`thin pool ${pool.name} is in ${status.mode} mode`);
    if (status.needsCheck) warnings.push(`thin pool ${pool.name} needs thin_check before it can be written again`);
    for (const warning of warnings) this.volumes.parts.log.warn(warning);
    return {
      Driver: this.name,
      Root: root,
      DataDevice: config?.dataDevice,
      MetadataDevice: config?.metadataDevice,
      ThinpoolDevice: this.volumes.parts.dm.nodePath(pool.name),
      ThinpoolSize: (config?.dataSectors ?? 0) * SECTOR_BYTES,
      ThinpoolBlockSize: pool.blockBytes,
      DefaultVolumeSize: options.defaultVolumeSize,
      Filesystem: options.fs,
      PoolMode: status.mode,
      NoSpacePolicy: status.noSpacePolicy ?? options.noSpacePolicy,
      DataUsedBytes: data.used,
      DataTotalBytes: data.total,
      DataUsedPercent: percent(data.used, data.total),
      MetadataUsedBytes: metadata.used,
      MetadataTotalBytes: metadata.total,
      MetadataUsedPercent: percent(metadata.used, metadata.total),
      WarnPercent: options.warnPercent,
      Warnings: warnings,
      OrphanDevIds: this.recovery.orphanDevIds,
      Problems: this.recovery.problems,
    };
  }

  async createVolume(req: CreateVolumeRequest): Promise<VolumeRecord> {
    const { store, run, options, intents } = this.volumes.parts;
    const existing = store.volume(req.name);
    if (existing?.retainedAt) return this.reclaim(existing, req.size);
    if (existing) throw new ConvoyError('ALREADY_EXISTS', `volume ${req.name} already exists`);
    const size = this.volumes.sizeFor(req.size);
    const { devId, intentId, node } = await this.volumes.provision(req.name, size);
    try {
      await makeFilesystem(run, options.fs, node);
      await this.volumes.reached('create-volume:formatted', req.name);
    } catch (err) {
      await this.volumes.abandon({ op: 'create-volume', volume: req.name, devId }, intentId);
      throw err;
    }
    const volume: VolumeState = { name: req.name, devId, size, fs: options.fs, createdAt: new Date().toISOString(), snapshots: {} };
    await store.saveVolume(volume);
    await this.volumes.reached('create-volume:state-saved', req.name);
    await intents.clear(intentId);
    return this.volumes.record(volume);
  }

  /** Creating a name a reference-only delete kept brings that volume back, data and all. */
  private async reclaim(volume: VolumeState, size: number | undefined): Promise<VolumeRecord> {
    if (size !== undefined && size !== 0 && size !== volume.size) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `volume ${volume.name} was deleted reference-only and is kept with its data (${describeBytes(volume.size)}); create it without a size or with that size to get it back`,
      );
    }
    delete volume.retainedAt;
    await this.volumes.activate(volume);
    await this.volumes.parts.store.saveVolume(volume);
    return this.volumes.record(volume);
  }

  /**
   * Refuses while mounted. Reference-only (what Docker's `volume rm` sends) forgets the volume
   * but keeps its thin device and snapshots; creating the name again brings them back. A full
   * delete removes the snapshots, discards the blocks and deletes the thin device.
   */
  async deleteVolume(req: DeleteVolumeRequest): Promise<void> {
    const volume = this.volumes.require(req.name);
    const mounted = await this.mounts.currentMountpoints(volume);
    if (mounted.length > 0) throw new ConvoyError('BUSY', `volume ${req.name} is mounted at ${mounted.join(', ')}; unmount it before deleting it`);
    const { store, intents } = this.volumes.parts;
    if (req.referenceOnly) {
      await this.volumes.deactivate(volume);
      delete volume.mountpoint;
      await store.saveVolume({ ...volume, retainedAt: new Date().toISOString() });
      return;
    }
    await this.volumes.assertDeletable(volume, 'volume');
    const intent: DeleteVolumeIntent = {
      op: 'delete-volume',
      volume: req.name,
      devIds: [...Object.values(volume.snapshots).map((s) => s.devId), volume.devId],
    };
    const intentId = await intents.record(intent);
    await this.volumes.reached('delete-volume:intent-recorded', req.name);
    await this.volumes.finishDelete(intent);
    await intents.clear(intentId);
  }

  async mountVolume(name: string, opts: { mountpoint?: string }): Promise<string> {
    return this.mounts.mount(this.volumes.require(name), opts.mountpoint);
  }

  async umountVolume(name: string): Promise<void> {
    await this.mounts.umount(this.volumes.require(name));
  }

  async getVolume(name: string): Promise<VolumeRecord | undefined> {
    const volume = this.volumes.parts.store.volume(name);
    return volume && !volume.retainedAt ? this.volumes.record(volume) : undefined;
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return this.volumes.parts.store
      .allVolumes()
      .filter((volume) => !volume.retainedAt)
      .map((volume) => this.volumes.record(volume));
  }

  /**
   * Grows a volume: the new size is recorded first (with a pending filesystem grow), then the
   * device table and, when mounted, the filesystem follow; an unmounted one grows at its next
   * mount. A crash anywhere is finished by the next start or mount. Shrinking is refused.
   */
  async resizeVolume(name: string, size: number): Promise<VolumeRecord> {
    const volume = this.volumes.require(name);
    if (size < volume.size)
      throw new ConvoyError('INVALID_ARGUMENT', `volume ${name} is ${describeBytes(volume.size)}; shrinking it to ${describeBytes(size)} is not supported`);
    if (size === volume.size) return this.volumes.record(volume);
    const grown: VolumeState = { ...volume, size: this.volumes.checkSize(size), fsGrowPending: volume.fs !== undefined };
    const { store, run } = this.volumes.parts;
    await store.saveVolume(grown);
    const node = await this.volumes.activate(grown);
    const [mountpoint] = await this.mounts.currentMountpoints(grown);
    if (mountpoint && grown.fs) {
      await growFilesystem(run, grown.fs, node, mountpoint);
      delete grown.fsGrowPending;
      await store.saveVolume(grown);
    }
    return this.volumes.record(grown);
  }
}
