import { type CommandRunner, ConvoyError, type Logger } from '@convoy/core';
import { type BlockDevice, inspectBlockDevice, readHeadExclusively, zeroHead } from './block-device.js';
import type { DeviceMapper, DmDevice, DmTableLine, LiveDevices } from './device-mapper.js';
import { type DevmapperOptions, SECTOR_BYTES } from './options.js';
import { describeBytes } from './size.js';
import type { PoolConfig, StateStore } from './state-store.js';
import { type PoolGeometry, parseDeviceList, poolTable, ThinPool } from './thin-pool.js';

/** LVM's floor for thin-pool metadata; below it a pool holds almost nothing. */
export const MIN_METADATA_BYTES = 2 * 1024 * 1024;
const SUPERBLOCK_BYTES = 4096;

interface SetupContext {
  run: CommandRunner;
  dm: DeviceMapper;
  store: StateStore;
  options: DevmapperOptions;
  log: Logger;
}

function geometryOf(poolName: string, metadata: BlockDevice, data: BlockDevice, dataSectors: number, blockSizeSectors: number): PoolGeometry {
  return { poolName, metadataNumber: metadata.number, dataNumber: data.number, dataSectors, blockSizeSectors };
}

async function thinCheck(run: CommandRunner, metadataDevice: string): Promise<void> {
  await run('thin_check', [metadataDevice]);
}

/**
 * Activates the pool (or finds it active) and returns it; the first start creates it. Also
 * returns the live devices as they are after set-up, listed once (listed again only when set-up
 * created or reloaded the pool), for recovery to go on from.
 */
export async function setUpPool(ctx: SetupContext): Promise<{ pool: ThinPool; live: LiveDevices }> {
  let live = await ctx.dm.live();
  const config = ctx.store.poolConfig;
  if (config) {
    const reopened = await reopenPool(ctx, config, live.tables);
    if (reopened.changed) live = await ctx.dm.live();
    return { pool: activePool(ctx, reopened.geometry, ctx.store.poolConfig?.metadataDevice ?? config.metadataDevice, live.devices), live };
  }
  const created = await createPool(ctx, live.tables);
  if (!created.adopted) live = await ctx.dm.live();
  const pool = activePool(ctx, created.geometry, created.metadataPath, live.devices);
  if (created.adopted) {
    const ids = await pool.deviceIds();
    if (ids.length > 0) {
      throw new ConvoyError('ALREADY_EXISTS', `pool ${pool.name} is active with ${ids.length} thin devices Convoy has no record of; refusing to take it over`);
    }
  }
  await ctx.store.savePoolConfig({
    version: 1,
    poolName: pool.name,
    dataDevice: created.dataPath,
    metadataDevice: created.metadataPath,
    dataSectors: created.geometry.dataSectors,
    blockSizeSectors: created.geometry.blockSizeSectors,
    lastDevId: 0,
    createdAt: new Date().toISOString(),
  });
  ctx.log.info('created thin pool', {
    pool: pool.name,
    dataDevice: created.dataPath,
    metadataDevice: created.metadataPath,
    dataBytes: created.geometry.dataSectors * SECTOR_BYTES,
  });
  return { pool, live };
}

function activePool(ctx: SetupContext, geometry: PoolGeometry, metadataPath: string, devices: Map<string, DmDevice>): ThinPool {
  const device = devices.get(geometry.poolName);
  if (!device) throw new ConvoyError('INTERNAL', `pool ${geometry.poolName} is not active after set-up`);
  return new ThinPool(ctx.run, ctx.dm, geometry, metadataPath, `${device.major}:${device.minor}`);
}

/** Both devices exist, are block devices, are distinct, and are big enough. */
async function inspectDevices(dataPath: string, metadataPath: string, blockSizeSectors: number) {
  const data = await inspectBlockDevice(dataPath, 'dm.datadev');
  const metadata = await inspectBlockDevice(metadataPath, 'dm.metadatadev');
  if (data.number === metadata.number) {
    throw new ConvoyError('INVALID_ARGUMENT', `dm.datadev ${dataPath} and dm.metadatadev ${metadataPath} are the same device (${data.number})`);
  }
  if (metadata.sizeBytes < MIN_METADATA_BYTES) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.metadatadev ${metadataPath} is too small: ${describeBytes(metadata.sizeBytes)}; a pool needs at least ${describeBytes(MIN_METADATA_BYTES)} (size it with thin_metadata_size)`,
    );
  }
  const blockBytes = blockSizeSectors * SECTOR_BYTES;
  if (data.sizeBytes < blockBytes) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.datadev ${dataPath} is too small: ${describeBytes(data.sizeBytes)}, less than one pool block (${describeBytes(blockBytes)})`,
    );
  }
  return { data, metadata };
}

interface CreatedPool {
  geometry: PoolGeometry;
  dataPath: string;
  metadataPath: string;
  /** The pool was already active on these devices (a first start that crashed before saving). */
  adopted: boolean;
}

async function createPool(ctx: SetupContext, liveTables: Map<string, DmTableLine[]>): Promise<CreatedPool> {
  const { options } = ctx;
  if (!options.dataDevice || !options.metadataDevice) {
    throw new ConvoyError('INVALID_ARGUMENT', 'dm.datadev and dm.metadatadev are required: the first start creates the thin pool on them', {
      details: { missing: [!options.dataDevice && 'dm.datadev', !options.metadataDevice && 'dm.metadatadev'].filter(Boolean) },
    });
  }
  const { data, metadata } = await inspectDevices(options.dataDevice, options.metadataDevice, options.blockSizeSectors);
  const dataSectors = Math.floor(data.sizeBytes / (options.blockSizeSectors * SECTOR_BYTES)) * options.blockSizeSectors;
  const geometry = geometryOf(options.poolName, metadata, data, dataSectors, options.blockSizeSectors);
  const existing = liveTables.get(options.poolName)?.[0];
  if (existing) {
    if (existing.target !== 'thin-pool' || existing.args[0] !== metadata.number || existing.args[1] !== data.number) {
      throw new ConvoyError(
        'ALREADY_EXISTS',
        `a device-mapper device named ${options.poolName} already exists and is not a pool on these devices; choose another dm.thinpoolname`,
      );
    }
  } else {
    await prepareMetadata(ctx, metadata.path);
    await readHeadExclusively(data.path, SECTOR_BYTES, 'dm.datadev');
    await ctx.dm.create(options.poolName, poolTable(geometry, options.noSpacePolicy));
  }
  return { geometry, dataPath: data.path, metadataPath: metadata.path, adopted: existing !== undefined };
}

/**
 * A fresh metadata device starts with a zero superblock (the kernel formats it). One that holds
 * something is refused unless it is valid thin-pool metadata without any thin device, which is
 * wiped to start clean. Nothing Convoy does not recognise is ever overwritten.
 */
async function prepareMetadata(ctx: SetupContext, metadataPath: string): Promise<void> {
  const head = await readHeadExclusively(metadataPath, SUPERBLOCK_BYTES, 'dm.metadatadev');
  if (head.every((byte) => byte === 0)) return;
  try {
    await thinCheck(ctx.run, metadataPath);
  } catch (err) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.metadatadev ${metadataPath} holds data that is not thin-pool metadata (thin_check rejects it); refusing to overwrite it. ` +
        `If nothing on it is needed, zero its first 4 KiB (dd if=/dev/zero of=${metadataPath} bs=4096 count=1) and start again`,
      { cause: err, details: { option: 'dm.metadatadev', path: metadataPath } },
    );
  }
  const ids = parseDeviceList((await ctx.run('thin_ls', ['--no-headers', '--format', 'DEV', metadataPath])).stdout);
  if (ids.length > 0) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.metadatadev ${metadataPath} holds thin-pool metadata with ${ids.length} thin devices (ids ${ids.slice(0, 10).join(', ')}) that this Convoy root has no record of; refusing to overwrite it`,
      { details: { option: 'dm.metadatadev', path: metadataPath, devIds: ids } },
    );
  }
  await zeroHead(metadataPath, SUPERBLOCK_BYTES);
}

/** The pool's geometry; `changed` when the pool was activated or its table reloaded here. */
async function reopenPool(
  ctx: SetupContext,
  config: PoolConfig,
  liveTables: Map<string, DmTableLine[]>,
): Promise<{ geometry: PoolGeometry; changed: boolean }> {
  const { options } = ctx;
  if (options.poolNameGiven && options.poolName !== config.poolName) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.thinpoolname=${options.poolName}, but this Convoy root's pool is ${config.poolName}; a pool cannot be renamed`,
    );
  }
  if (options.blockSizeGiven && options.blockSizeSectors !== config.blockSizeSectors) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.thinpoolblocksize=${options.blockSizeSectors}, but pool ${config.poolName} was created with ${config.blockSizeSectors}; it cannot change`,
    );
  }
  // Device paths may move (loop devices are renumbered at boot); the new ones must still fit.
  const dataPath = options.dataDevice ?? config.dataDevice;
  const metadataPath = options.metadataDevice ?? config.metadataDevice;
  const { data, metadata } = await inspectDevices(dataPath, metadataPath, config.blockSizeSectors);
  if (data.sizeBytes < config.dataSectors * SECTOR_BYTES) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `dm.datadev ${dataPath} holds ${describeBytes(data.sizeBytes)}, less than pool ${config.poolName}'s data device (${describeBytes(config.dataSectors * SECTOR_BYTES)}); is it the right device?`,
    );
  }
  const geometry = geometryOf(config.poolName, metadata, data, config.dataSectors, config.blockSizeSectors);
  const table = poolTable(geometry, options.noSpacePolicy);
  const live = liveTables.get(config.poolName);
  let changed = false;
  if (live) {
    const args = live[0]?.args ?? [];
    if (live[0]?.target !== 'thin-pool' || args[0] !== metadata.number || args[1] !== data.number) {
      throw new ConvoyError('STATE_ERROR', `device ${config.poolName} is active but is not the pool on ${metadataPath} and ${dataPath}`);
    }
    if (live[0] && `${live[0].start} ${live[0].length} ${live[0].target} ${args.join(' ')}` !== table) {
      await ctx.dm.replaceTable(config.poolName, table);
      changed = true;
    }
  } else {
    try {
      await thinCheck(ctx.run, metadata.path);
    } catch (err) {
      throw new ConvoyError(
        'CORRUPT',
        `the metadata of pool ${config.poolName} on ${metadataPath} fails thin_check; Convoy will not activate or wipe it. ` +
          `Repair it to a spare device (thin_repair -i ${metadataPath} -o SPARE), check the result with thin_check, copy it back, then start again`,
        { cause: err },
      );
    }
    await ctx.dm.create(config.poolName, table);
    changed = true;
    ctx.log.info('re-created thin pool from its metadata', { pool: config.poolName });
  }
  if (dataPath !== config.dataDevice || metadataPath !== config.metadataDevice) {
    await ctx.store.updateConfig((c) => ({ ...c, dataDevice: dataPath, metadataDevice: metadataPath }));
  }
  return { geometry, changed };
}
