import {
  type BackupMode,
  COMPRESSION_METHODS,
  type CompressionMethod,
  ConvoyError,
  isCompressionMethod,
  isStoreLayout,
  isValidName,
  STORE_LAYOUTS,
  type StoreLayout,
} from '@convoy/core';
import { BLOCK_SIZE, isBlockChecksum, isBlockSize, isPackSize, MAX_PACK_SIZE, MIN_PACK_SIZE } from './layout.js';

/**
 * The JSON records of the store, with Convoy's Go field names and order (plain `json.Marshal`:
 * compact). Our additions are additive fields after Convoy's; fields we do not know are kept
 * when a record is rewritten, so a newer writer's extensions survive us.
 */
export interface BlockMapping {
  Offset: number;
  BlockChecksum: string;
}

export interface VolumeConfig {
  Name: string;
  Driver: string;
  /** Bytes; 0 for directory volumes. */
  Size: number;
  CreatedTime: string;
  LastBackupName: string;
  /** Ours: the volume's block size in bytes, set by its first backup; absent means 2 MiB. */
  BlockSize?: number;
  /** Ours: how its blocks are stored, set by its first backup; absent means Convoy v0.5's one object per block. */
  Layout?: StoreLayout;
  /** Ours, pack layout: the target size of its packs in bytes. */
  PackSize?: number;
}

export interface BackupConfig {
  Name: string;
  Driver: string;
  VolumeName: string;
  SnapshotName: string;
  SnapshotCreatedAt: string;
  CreatedTime: string;
  /** The WHOLE block map of the snapshot, sorted by offset, so any backup restores alone. */
  Blocks: BlockMapping[];
  SingleFile: { FilePath: string };
  /** Ours: absent means gzip (what Convoy wrote). */
  CompressionMethod?: CompressionMethod;
  /** Ours: the volume's size when this backup was taken (Convoy only kept it in volume.cfg). */
  VolumeSize?: number;
  /** Ours: compressed bytes this backup uploaded (new blocks or the archive). */
  UploadedBytes?: number;
  /** Ours: the size of the blocks in `Blocks`; absent means 2 MiB. */
  BlockSize?: number;
  /**
   * Ours: CreatedTime to the millisecond (ISO-8601). Convoy's RubyDate stops at the second, and
   * retention must order backups made within one second (a schedule every second) as they were.
   */
  CreatedAt?: string;
  /** Ours, single-file: the stored archive's exact length in bytes; a restore checks it. */
  ArchiveSize?: number;
  /** Ours, single-file: SHA-256 of the stored archive (hex); a restore checks it before the volume appears. */
  ArchiveSHA256?: string;
  /** Ours: where its blocks are (`packs`: in the volume's packs, found through its index); absent means one object per block. */
  Layout?: StoreLayout;
}

type Unknown = Record<string, unknown>;

export function validateCompression(method: unknown): CompressionMethod {
  if (isCompressionMethod(method)) return method;
  throw new ConvoyError('INVALID_ARGUMENT', `unknown compression method ${JSON.stringify(method)}; use one of ${COMPRESSION_METHODS.join(', ')}`);
}

export function backupCompression(backup: BackupConfig): CompressionMethod {
  return backup.CompressionMethod ?? 'gzip';
}

/** The block size of a volume's backups (Convoy's 2 MiB unless its record says otherwise). */
export function volumeBlockSize(volume: VolumeConfig | undefined): number {
  return volume?.BlockSize ?? BLOCK_SIZE;
}

export function backupBlockSize(backup: BackupConfig): number {
  return backup.BlockSize ?? BLOCK_SIZE;
}

/** Where a volume's or a backup's blocks are: absent means Convoy v0.5's layout. */
export function layoutOf(record: { Layout?: StoreLayout } | undefined): StoreLayout {
  return record?.Layout ?? 'convoy-v0.5';
}

export function validateLayout(layout: unknown): StoreLayout {
  if (isStoreLayout(layout)) return layout;
  throw new ConvoyError('INVALID_ARGUMENT', `unknown store layout ${JSON.stringify(layout)}; use one of ${STORE_LAYOUTS.join(', ')}`);
}

export function backupMode(backup: BackupConfig): BackupMode {
  return backup.SingleFile.FilePath ? 'single-file' : 'delta-block';
}

/** The volume.cfg fields we write ourselves; any other field of the stored copy is kept. */
const VOLUME_FIELDS = { Name: 0, Driver: 0, Size: 0, CreatedTime: 0, LastBackupName: 0, BlockSize: 0, Layout: 0, PackSize: 0 };

export function encodeVolumeConfig(volume: VolumeConfig, previous?: Unknown): Buffer {
  const { Name, Driver, Size, CreatedTime, LastBackupName, BlockSize, Layout, PackSize } = volume;
  const ours = {
    ...(BlockSize === undefined ? {} : { BlockSize }),
    ...(Layout === undefined ? {} : { Layout }),
    ...(PackSize === undefined ? {} : { PackSize }),
  };
  return Buffer.from(JSON.stringify({ Name, Driver, Size, CreatedTime, LastBackupName, ...ours, ...withoutKeys(previous, VOLUME_FIELDS) }));
}

export function encodeBackupConfig(backup: BackupConfig): Buffer {
  const { Name, Driver, VolumeName, SnapshotName, SnapshotCreatedAt, CreatedTime, Blocks, SingleFile, ...ours } = backup;
  const convoy = { Name, Driver, VolumeName, SnapshotName, SnapshotCreatedAt, CreatedTime, ...(Blocks.length > 0 ? { Blocks } : {}), SingleFile };
  return Buffer.from(JSON.stringify({ ...convoy, ...ours }));
}

export function decodeVolumeConfig(data: Buffer, key: string): { volume: VolumeConfig; raw: Unknown } {
  const raw = parseObject(data, key);
  const volume: VolumeConfig = {
    Name: field(raw, 'Name', 'string', key),
    Driver: optional(raw, 'Driver', 'string', key) ?? '',
    Size: optional(raw, 'Size', 'number', key) ?? 0,
    CreatedTime: optional(raw, 'CreatedTime', 'string', key) ?? '',
    LastBackupName: optional(raw, 'LastBackupName', 'string', key) ?? '',
  };
  const blockSize = optional(raw, 'BlockSize', 'number', key);
  if (blockSize !== undefined) volume.BlockSize = checkedBlockSize(blockSize, key);
  const layout = checkedLayout(raw, key);
  if (layout !== undefined) volume.Layout = layout;
  const packSize = optional(raw, 'PackSize', 'number', key);
  if (packSize !== undefined) {
    if (!isPackSize(packSize)) throw corrupt(key, `PackSize ${packSize} is not a byte count from ${MIN_PACK_SIZE} to ${MAX_PACK_SIZE}`);
    volume.PackSize = packSize;
  }
  if (!isValidName(volume.Name)) throw corrupt(key, `volume name ${JSON.stringify(volume.Name)} breaks the name rules`);
  if (!Number.isSafeInteger(volume.Size) || volume.Size < 0) throw corrupt(key, `Size ${volume.Size} is not a byte count`);
  return { volume, raw };
}

export function decodeBackupConfig(data: Buffer, key: string): BackupConfig {
  const raw = parseObject(data, key);
  const singleFile = optional(raw, 'SingleFile', 'object', key) as Unknown | undefined;
  const backup: BackupConfig = {
    Name: field(raw, 'Name', 'string', key),
    Driver: optional(raw, 'Driver', 'string', key) ?? '',
    VolumeName: field(raw, 'VolumeName', 'string', key),
    SnapshotName: optional(raw, 'SnapshotName', 'string', key) ?? '',
    SnapshotCreatedAt: optional(raw, 'SnapshotCreatedAt', 'string', key) ?? '',
    CreatedTime: optional(raw, 'CreatedTime', 'string', key) ?? '',
    Blocks: [],
    SingleFile: { FilePath: singleFile ? (optional(singleFile, 'FilePath', 'string', key) ?? '') : '' },
  };
  if (raw['CompressionMethod'] !== undefined) {
    try {
      backup.CompressionMethod = validateCompression(raw['CompressionMethod']);
    } catch (err) {
      throw corrupt(key, (err as Error).message);
    }
  }
  const blockSize = optional(raw, 'BlockSize', 'number', key);
  if (blockSize !== undefined) backup.BlockSize = checkedBlockSize(blockSize, key);
  backup.Blocks = decodeBlocks(raw['Blocks'], key, backupBlockSize(backup));
  const layout = checkedLayout(raw, key);
  if (layout !== undefined) backup.Layout = layout;
  const createdAt = optional(raw, 'CreatedAt', 'string', key);
  if (createdAt !== undefined) {
    if (Number.isNaN(Date.parse(createdAt))) throw corrupt(key, `CreatedAt ${JSON.stringify(createdAt)} is not a time`);
    backup.CreatedAt = createdAt;
  }
  for (const name of ['VolumeSize', 'UploadedBytes', 'ArchiveSize'] as const) {
    const value = optional(raw, name, 'number', key);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) throw corrupt(key, `${name} ${value} is not a byte count`);
    backup[name] = value;
  }
  const sha256 = optional(raw, 'ArchiveSHA256', 'string', key);
  if (sha256 !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw corrupt(key, `ArchiveSHA256 ${JSON.stringify(sha256)} is not a SHA-256 in hex`);
    backup.ArchiveSHA256 = sha256;
  }
  if ((backup.ArchiveSize === undefined) !== (backup.ArchiveSHA256 === undefined))
    throw corrupt(key, 'ArchiveSize and ArchiveSHA256 come together or not at all');
  if (!isValidName(backup.Name) || !isValidName(backup.VolumeName)) throw corrupt(key, 'backup or volume name breaks the name rules');
  return backup;
}

/** Validates every mapping: a checksum becomes a key, so a bad one must never reach the store. */
function decodeBlocks(value: unknown, key: string, blockSize: number): BlockMapping[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw corrupt(key, 'Blocks is not a list');
  let previous = -1;
  return value.map((entry: unknown, i) => {
    const m = entry as Partial<BlockMapping> | null;
    if (!m || !Number.isSafeInteger(m.Offset) || (m.Offset as number) < 0 || (m.Offset as number) % blockSize !== 0) {
      throw corrupt(key, `block ${i} has offset ${JSON.stringify(m?.Offset)}, not a multiple of ${blockSize}`);
    }
    if (!isBlockChecksum(m.BlockChecksum)) throw corrupt(key, `block ${i} has checksum ${JSON.stringify(m.BlockChecksum)}`);
    if ((m.Offset as number) <= previous) throw corrupt(key, `block offsets are not strictly ascending at block ${i}`);
    previous = m.Offset as number;
    return { Offset: m.Offset as number, BlockChecksum: m.BlockChecksum };
  });
}

function checkedLayout(raw: Unknown, key: string): StoreLayout | undefined {
  const layout = optional(raw, 'Layout', 'string', key);
  if (layout !== undefined && !isStoreLayout(layout))
    throw corrupt(key, `Layout ${JSON.stringify(layout)} is not one of ${STORE_LAYOUTS.join(', ')} (written by a newer Convoy?)`);
  return layout;
}

function checkedBlockSize(value: number, key: string): number {
  if (!isBlockSize(value)) throw corrupt(key, `BlockSize ${value} is not a power of two from 64 KiB to 2 MiB`);
  return value;
}

function parseObject(data: Buffer, key: string): Unknown {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw corrupt(key, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(key, 'not a JSON object');
  return value as Unknown;
}

type Kind = { string: string; number: number; object: object };

function optional<K extends keyof Kind>(raw: Unknown, name: string, kind: K, key: string): Kind[K] | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== kind) throw corrupt(key, `field ${name} should be a ${kind}, found ${JSON.stringify(value)}`);
  return value as Kind[K];
}

function field<K extends keyof Kind>(raw: Unknown, name: string, kind: K, key: string): Kind[K] {
  const value = optional(raw, name, kind, key);
  if (value === undefined) throw corrupt(key, `field ${name} is missing`);
  return value;
}

function withoutKeys(raw: Unknown | undefined, known: object): Unknown {
  const rest: Unknown = {};
  for (const [k, v] of Object.entries(raw ?? {})) if (!(k in known)) rest[k] = v;
  return rest;
}

function corrupt(key: string, why: string): ConvoyError {
  return new ConvoyError('CORRUPT', `store record ${key} is unreadable: ${why}`, { details: { key } });
}
