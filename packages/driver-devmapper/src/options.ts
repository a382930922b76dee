import path from 'node:path';
import { ConvoyError, checkDeclaredOptions, NAME_PATTERN, type OptionSpec, type Options, ownOptions, parseSize } from '@convoy/core';
import { describeBytes } from './size.js';

export type FilesystemType = 'ext4' | 'xfs';
export type NoSpacePolicy = 'error' | 'queue';

export const SECTOR_BYTES = 512;
/** Kernel limits for a thin-pool block (dm-thin: 64 KiB to 1 GiB, in 64 KiB steps). */
const MIN_BLOCK_SECTORS = 128;
const MAX_BLOCK_SECTORS = 2_097_152;
/** The pool name prefixes every device name; keep room for `-<id>-<volume>` within dm's 127. */
const MAX_POOL_NAME_LENGTH = 48;

export const OPTION_SPECS: OptionSpec[] = [
  { key: 'dm.datadev', required: true, description: 'block device holding the thin pool data (a disk, partition or loop device)' },
  { key: 'dm.metadatadev', required: true, description: 'block device holding the thin pool metadata; size it with thin_metadata_size' },
  { key: 'dm.thinpoolname', default: 'convoy-pool', description: 'device-mapper name of the pool; volume devices are named <pool>-<id>-<volume>' },
  {
    key: 'dm.thinpoolblocksize',
    default: '4096',
    description: 'pool block size in 512-byte sectors: a multiple of 128 from 128 to 2097152; 4096 (2 MiB) makes a pool block one backup block',
  },
  { key: 'dm.defaultvolumesize', default: '100G', description: 'size of a volume created without one; a multiple of the pool block size' },
  { key: 'dm.fs', default: 'ext4', description: 'filesystem made on new volumes: ext4 or xfs' },
  {
    key: 'dm.nospace',
    default: 'error',
    description:
      'when the pool is full: error (writes fail at once with an I/O error) or queue (writes wait up to the kernel no_space_timeout, 60 s, for the pool to be extended)',
  },
  { key: 'dm.warnpercent', default: '80', description: 'convoy info warns when pool data or metadata use reaches this percentage' },
];

export interface DevmapperOptions {
  /** Absent on a later start: the devices recorded at pool creation are used. */
  dataDevice?: string;
  metadataDevice?: string;
  poolName: string;
  blockSizeSectors: number;
  /** True when the operator set dm.thinpoolblocksize, so a mismatch with the pool is an error. */
  blockSizeGiven: boolean;
  poolNameGiven: boolean;
  defaultVolumeSize: number;
  fs: FilesystemType;
  noSpacePolicy: NoSpacePolicy;
  warnPercent: number;
}

const defaults = Object.fromEntries(OPTION_SPECS.map((spec) => [spec.key, spec.default])) as Record<string, string | undefined>;

function invalid(key: string, value: string, why: string): ConvoyError {
  return new ConvoyError('INVALID_ARGUMENT', `${key}=${JSON.stringify(value)}: ${why}`, { details: { option: key } });
}

function devicePath(options: Options, key: string): string | undefined {
  const value = options[key];
  if (value === undefined || value === '') return undefined;
  if (!path.isAbsolute(value)) throw invalid(key, value, 'must be an absolute path to a block device (e.g. /dev/sdb1 or /dev/loop0)');
  return path.normalize(value);
}

function oneOf<T extends string>(options: Options, key: string, allowed: readonly T[]): T {
  const value = options[key] ?? (defaults[key] as string);
  if (!(allowed as readonly string[]).includes(value)) throw invalid(key, value, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function wholeNumber(options: Options, key: string): number {
  const value = options[key] ?? (defaults[key] as string);
  if (!/^\d+$/.test(value)) throw invalid(key, value, 'must be a whole number');
  return Number(value);
}

/** Reads and checks every dm.* option; anything unknown under dm.* is refused, as a typo would be. */
export function parseOptions(options: Options): DevmapperOptions {
  checkDeclaredOptions(ownOptions(options, OPTION_SPECS), OPTION_SPECS, 'the devicemapper driver');
  const poolName = options['dm.thinpoolname'] ?? (defaults['dm.thinpoolname'] as string);
  if (!NAME_PATTERN.test(poolName) || poolName.length > MAX_POOL_NAME_LENGTH) {
    throw invalid('dm.thinpoolname', poolName, `use 2 to ${MAX_POOL_NAME_LENGTH} characters from [a-zA-Z0-9_.-], starting with a letter or digit`);
  }
  const blockSizeSectors = wholeNumber(options, 'dm.thinpoolblocksize');
  if (blockSizeSectors < MIN_BLOCK_SECTORS || blockSizeSectors > MAX_BLOCK_SECTORS || blockSizeSectors % MIN_BLOCK_SECTORS !== 0) {
    throw invalid(
      'dm.thinpoolblocksize',
      String(blockSizeSectors),
      `must be a multiple of ${MIN_BLOCK_SECTORS} sectors between ${MIN_BLOCK_SECTORS} and ${MAX_BLOCK_SECTORS}`,
    );
  }
  const sizeText = options['dm.defaultvolumesize'] ?? (defaults['dm.defaultvolumesize'] as string);
  const defaultVolumeSize = parseSize(sizeText, 'dm.defaultvolumesize', 'volume');
  const blockBytes = blockSizeSectors * SECTOR_BYTES;
  if (defaultVolumeSize === 0 || defaultVolumeSize % blockBytes !== 0) {
    throw invalid('dm.defaultvolumesize', sizeText, `must be a non-zero multiple of the pool block size (${describeBytes(blockBytes)})`);
  }
  const warnPercent = wholeNumber(options, 'dm.warnpercent');
  if (warnPercent < 1 || warnPercent > 100) throw invalid('dm.warnpercent', String(warnPercent), 'must be between 1 and 100');
  const parsed: DevmapperOptions = {
    poolName,
    blockSizeSectors,
    blockSizeGiven: options['dm.thinpoolblocksize'] !== undefined,
    poolNameGiven: options['dm.thinpoolname'] !== undefined,
    defaultVolumeSize,
    fs: oneOf(options, 'dm.fs', ['ext4', 'xfs'] as const),
    noSpacePolicy: oneOf(options, 'dm.nospace', ['error', 'queue'] as const),
    warnPercent,
  };
  const dataDevice = devicePath(options, 'dm.datadev');
  const metadataDevice = devicePath(options, 'dm.metadatadev');
  if (dataDevice) parsed.dataDevice = dataDevice;
  if (metadataDevice) parsed.metadataDevice = metadataDevice;
  if (dataDevice && dataDevice === metadataDevice) {
    throw invalid('dm.metadatadev', metadataDevice, 'must be a different device from dm.datadev');
  }
  return parsed;
}
