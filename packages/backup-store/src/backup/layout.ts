import { ConvoyError, isValidName, validateName } from '@convoy/core';

/**
 * Convoy v0.5's store layout. Every key is relative to the store URL:
 *
 *   convoy-objectstore/volumes/<n[0:2]>/<n[2:4]>/<n>/volume.cfg
 *                                                  /backups/backup_<b>.cfg
 *                                                  /blocks/<c[0:2]>/<c[2:4]>/<c>.blk
 *                                                  /BackupFiles/<b>.bak
 * and our additive extensions in the same volume directory:
 *                                                  /locks/lock-<id>.lck
 *                                                  /deleting/backup_<b>.cfg   (journal of a delete in progress)
 *                                                  /packs/<p[0:2]>/<p>.pack   (pack layout: blocks in packs)
 *                                                  /index/<i>.idx             (pack layout: where each block is)
 *
 * `n` is the volume name padded with `!` to 4 characters (`!` is invalid in names, so padded
 * names never collide with real ones); `c` is the block checksum; `p` and `i` are the SHA-256 of
 * the pack's and the index object's bytes (docs/store-format.md describes both).
 */
export const STORE_ROOT = 'convoy-objectstore';
export const VOLUMES_ROOT = `${STORE_ROOT}/volumes/`;
/**
 * Convoy's DEFAULT_BLOCK_SIZE: the block size of every volume whose record does not say
 * otherwise (all of Convoy v0.5's), and the largest the engine cuts.
 */
export const BLOCK_SIZE = 2 * 1024 * 1024;
/** The smallest per-volume block size (`BlockSize` in volume.cfg): 64 KiB. */
export const MIN_BLOCK_SIZE = 64 * 1024;

/**
 * Pack layout: the size a pack is closed at (it may pass it by one block and its header). 16 MiB
 * keeps a full backup within one request per 8 MiB stored (the request budget of issue 18), one
 * PUT per pack on S3, and the writer's memory bound small (docs/store-format.md, "Memory").
 */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
export const MIN_PACK_SIZE = 1024 * 1024;
export const MAX_PACK_SIZE = 64 * 1024 * 1024;

export function isPackSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_PACK_SIZE && value <= MAX_PACK_SIZE;
}

export function validatePackSize(value: unknown): number {
  if (isPackSize(value)) return value;
  throw new ConvoyError(
    'INVALID_ARGUMENT',
    `pack size ${JSON.stringify(value)} is not a byte count from ${MIN_PACK_SIZE} (1 MiB) to ${MAX_PACK_SIZE} (64 MiB)`,
  );
}

export function isBlockSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_BLOCK_SIZE && value <= BLOCK_SIZE && (value & (value - 1)) === 0;
}

export function validateBlockSize(value: unknown): number {
  if (isBlockSize(value)) return value;
  throw new ConvoyError(
    'INVALID_ARGUMENT',
    `block size ${JSON.stringify(value)} is not a power of two from ${MIN_BLOCK_SIZE} (64 KiB) to ${BLOCK_SIZE} (2 MiB) bytes`,
  );
}

const PAD = '!';
const CHECKSUM_PATTERN = /^[0-9a-f]{64}$/;
const BACKUP_CONFIG = /^backup_(.+)\.cfg$/;

export function isBlockChecksum(value: unknown): value is string {
  return typeof value === 'string' && CHECKSUM_PATTERN.test(value);
}

/** `convoy-objectstore/volumes/vo/l1/vol1/` (always with the trailing `/`, so `vol1` never matches `vol10`). */
export function volumeDir(volumeName: string): string {
  validateName(volumeName, 'volume');
  const padded = volumeName.padEnd(4, PAD);
  return `${VOLUMES_ROOT}${padded.slice(0, 2)}/${padded.slice(2, 4)}/${padded}/`;
}

/** The volume name a leaf directory of the volume tree stands for, or undefined for foreign entries. */
export function volumeNameFromDir(leaf: string): string | undefined {
  const name = leaf.replace(/!+$/, '');
  return isValidName(name) && name.padEnd(4, PAD) === leaf ? name : undefined;
}

export const volumeConfigKey = (volumeName: string): string => `${volumeDir(volumeName)}volume.cfg`;
export const backupsDir = (volumeName: string): string => `${volumeDir(volumeName)}backups/`;
export const blocksDir = (volumeName: string): string => `${volumeDir(volumeName)}blocks/`;
export const locksDir = (volumeName: string): string => `${volumeDir(volumeName)}locks/`;
export const deletionJournalDir = (volumeName: string): string => `${volumeDir(volumeName)}deleting/`;
export const packsDir = (volumeName: string): string => `${volumeDir(volumeName)}packs/`;
export const indexDir = (volumeName: string): string => `${volumeDir(volumeName)}index/`;
export const backupFilesDir = (volumeName: string): string => `${volumeDir(volumeName)}BackupFiles/`;

export function backupConfigKey(volumeName: string, backupName: string): string {
  return `${backupsDir(volumeName)}${backupConfigFile(backupName)}`;
}

export function deletionJournalKey(volumeName: string, backupName: string): string {
  return `${deletionJournalDir(volumeName)}${backupConfigFile(backupName)}`;
}

export function backupFileKey(volumeName: string, backupName: string): string {
  return `${backupFilesDir(volumeName)}${validateName(backupName, 'backup')}.bak`;
}

export function blockKey(volumeName: string, checksum: string): string {
  if (!isBlockChecksum(checksum)) throw new ConvoyError('CORRUPT', `block checksum ${JSON.stringify(checksum)} is not 64 lowercase hex characters`);
  return `${blocksDir(volumeName)}${checksum.slice(0, 2)}/${checksum.slice(2, 4)}/${checksum}.blk`;
}

/** The checksum a block key names, or undefined for anything else under `blocks/`. */
export function checksumFromBlockKey(key: string): string | undefined {
  const match = /\/blocks\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})\.blk$/.exec(key);
  return match && match[3]!.startsWith(match[1]! + match[2]!) ? match[3] : undefined;
}

export function packKey(volumeName: string, packName: string): string {
  if (!isBlockChecksum(packName)) throw new ConvoyError('CORRUPT', `pack name ${JSON.stringify(packName)} is not 64 lowercase hex characters`);
  return `${packsDir(volumeName)}${packName.slice(0, 2)}/${packName}.pack`;
}

/** The pack a key names, or undefined for anything else under `packs/` (temp files, foreign names). */
export function packNameFromKey(key: string): string | undefined {
  const match = /\/packs\/([0-9a-f]{2})\/([0-9a-f]{64})\.pack$/.exec(key);
  return match && match[2]!.startsWith(match[1]!) ? match[2] : undefined;
}

export function indexKey(volumeName: string, indexName: string): string {
  if (!isBlockChecksum(indexName)) throw new ConvoyError('CORRUPT', `index name ${JSON.stringify(indexName)} is not 64 lowercase hex characters`);
  return `${indexDir(volumeName)}${indexName}.idx`;
}

/** `<i>.idx` → `<i>`; undefined for other files. */
export function indexNameFromFile(file: string): string | undefined {
  const match = /^([0-9a-f]{64})\.idx$/.exec(file);
  return match ? match[1] : undefined;
}

function backupConfigFile(backupName: string): string {
  return `backup_${validateName(backupName, 'backup')}.cfg`;
}

/** `backup_<b>.cfg` → `<b>`; undefined for other files (temp files, foreign names). */
export function backupNameFromConfigFile(file: string): string | undefined {
  const match = BACKUP_CONFIG.exec(file);
  return match && isValidName(match[1]) ? match[1] : undefined;
}
