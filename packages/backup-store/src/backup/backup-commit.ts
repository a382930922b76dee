import type { BackupSummary, CompressionMethod, StoreLayout } from '@convoy/core';
import { ConvoyError, formatRubyDate, generateName, isoToStoreTime, validateName } from '@convoy/core';
import { chooseCompression } from './block-compression.js';
import type { EngineContext } from './context.js';
import { withStoreLock } from './context.js';
import { ENCRYPTION_KEY_FIELD, encryptionKeyIdOf, notEncrypted } from './crypto/volume-access.js';
import { BLOCK_SIZE, validateBlockSize, volumeConfigKey } from './layout.js';
import type { BackupConfig, BlockMapping, VolumeConfig } from './records.js';
import { layoutOf, validateCompression, validateLayout, volumeBlockSize } from './records.js';
import type { StoreLock } from './store-lock.js';
import { listBackupNames, loadVolumeConfig, type StoredVolume, saveBackupConfig, saveVolumeConfig } from './store-records.js';
import { summarizeBackup } from './summary.js';
import type { CreateBackupParams } from './types.js';
import { validateConcurrency } from './workers.js';

/** What both backup modes share before their data moves: checked input, the lock, volume.cfg. */
export interface PreparedBackup {
  lock: StoreLock;
  volumeConfig: StoredVolume;
  backupName: string;
  compression: CompressionMethod;
  /** See BlockCompression: whether a block object found in the store may be reused by name. */
  storedBlocksReusable: boolean;
  /** The volume's last backup record, when choosing the compression read it. */
  lastBackup?: BackupConfig;
  concurrency: number;
  /** The volume's block size (delta-block mode). */
  blockSize: number;
  /** Where the volume's blocks go (delta-block mode), and its packs' target size. */
  layout: StoreLayout;
  packSize: number;
}

export async function prepareBackup(
  ctx: EngineContext,
  p: CreateBackupParams,
  body: (prepared: PreparedBackup) => Promise<BackupSummary>,
): Promise<BackupSummary> {
  const volumeName = validateName(p.volume.name, 'volume');
  validateName(p.snapshot.name, 'snapshot');
  if (p.snapshot.volumeName !== volumeName) {
    throw new ConvoyError('INVALID_ARGUMENT', `snapshot ${p.snapshot.name} belongs to volume ${p.snapshot.volumeName}, not ${volumeName}`);
  }
  if (p.compression !== undefined) validateCompression(p.compression);
  if (p.compression === 'zstd' && p.ops.mode === 'single-file') {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `zstd compresses delta-block backups only; back up ${volumeName} (a ${p.ops.mode} volume) with lz4, gzip or none`,
    );
  }
  const concurrency = validateConcurrency(p.concurrency, ctx.concurrency);
  if (p.blockSize !== undefined) validateBlockSize(p.blockSize);
  if (p.blockSize !== undefined && p.ops.mode === 'single-file') {
    throw new ConvoyError('INVALID_ARGUMENT', `a block size applies to delta-block backups only; ${volumeName} is a ${p.ops.mode} volume`);
  }
  if (p.layout !== undefined) validateLayout(p.layout);
  if (p.layout !== undefined && p.ops.mode === 'single-file') {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `a store layout applies to delta-block backups only; ${volumeName} is a ${p.ops.mode} volume (stored as one archive)`,
    );
  }
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a backup needs an owner (host and process) for the store lock');
  return withStoreLock(ctx, p.store, volumeName, 'backup', p.owner, async (lock) => {
    const { stored: volumeConfig, created } = await ensureVolumeConfig(p, ctx.packs.size);
    const { volume } = volumeConfig;
    try {
      const { compression, storedBlocksReusable, lastBackup } = await chooseCompression(ctx, p, volumeConfig);
      return await body({
        ...(lastBackup ? { lastBackup } : {}),
        lock,
        volumeConfig,
        backupName: generateName('backup'),
        compression,
        storedBlocksReusable,
        concurrency,
        blockSize: volumeBlockSize(volume),
        layout: layoutOf(volume),
        packSize: volume.PackSize ?? ctx.packs.size,
      });
    } catch (err) {
      // A cancelled first backup leaves the store as it found it: no volume.cfg for a volume
      // without backups (still under the lock, so no other backup is using it).
      if (created && p.signal?.aborted) await p.store.delete([volumeConfigKey(volumeName)]);
      throw err;
    }
  });
}

/**
 * Convoy adds volume.cfg when it is missing and then trusts the store's copy (LastBackupName).
 * A volume of the same name from another driver (another host's) is refused: its backups could
 * only be restored by that driver, and mixing them would make "the last backup" meaningless.
 */
async function ensureVolumeConfig(p: CreateBackupParams, packSize: number): Promise<{ stored: StoredVolume; created: boolean }> {
  const existing = await loadVolumeConfig(p.store, p.volume.name);
  if (existing?.volume.Driver && existing.volume.Driver !== p.driverName) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `volume ${p.volume.name} in ${p.store.url} holds backups made by driver ${existing.volume.Driver}, not ${p.driverName}; back up to another store or rename the volume`,
    );
  }
  const keyId = p.sealing?.encryptionKeyId;
  const blockSize = p.blockSize === undefined || p.blockSize === BLOCK_SIZE ? {} : { BlockSize: p.blockSize };
  // A single-file volume records no layout; a new delta-block one the layout asked for, packs by default.
  const layout = p.ops.mode === 'single-file' ? {} : layoutFields(p.layout ?? 'packs', packSize);
  if (existing) {
    // Checked again under the lock: another host may have made the volume since we chose.
    requireSameEncryption(p, existing, keyId);
    if (p.layout !== undefined && p.layout !== layoutOf(existing.volume))
      return { stored: await switchLayout(p, existing, { ...layout, ...blockSize }), created: false };
    const recorded = volumeBlockSize(existing.volume);
    if (p.blockSize === undefined || p.blockSize === recorded) return { stored: existing, created: false };
    if (existing.volume.LastBackupName) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `volume ${p.volume.name} is backed up in ${recorded}-byte blocks (set by its first backup); its backups cannot switch to ${p.blockSize}-byte blocks. Leave the block size out, or back up to another store`,
        { details: { blockSize: recorded, requested: p.blockSize } },
      );
    }
    // No backup left to chain to: the next one starts afresh, in the size asked for.
    const { BlockSize: _, ...rest } = existing.volume;
    const volume = { ...rest, ...blockSize };
    await saveVolumeConfig(p.store, volume, existing.raw);
    return { stored: { volume, raw: existing.raw }, created: false };
  }
  const volume = {
    Name: p.volume.name,
    Driver: p.driverName,
    Size: p.volume.size,
    CreatedTime: isoToStoreTime(p.volume.createdAt),
    LastBackupName: '',
    ...blockSize,
    ...layout,
  };
  const raw = keyId ? { [ENCRYPTION_KEY_FIELD]: keyId } : {};
  await saveVolumeConfig(p.store, volume, raw);
  return { stored: { volume, raw }, created: true };
}

/** The volume.cfg fields of a layout: none for Convoy v0.5's (absent means it), so Go Convoy reads the record as ever. */
function layoutFields(layout: StoreLayout, packSize: number): Pick<VolumeConfig, 'Layout' | 'PackSize'> {
  return layout === 'packs' ? { Layout: layout, PackSize: packSize } : {};
}

/**
 * One volume's chain never mixes layouts: a layout other than the recorded one is taken only
 * while the volume has no backup at all (checked by listing, not by LastBackupName, which a
 * delete of the newest backup clears). Refused with nothing written otherwise.
 */
async function switchLayout(
  p: CreateBackupParams,
  existing: StoredVolume,
  fresh: Pick<VolumeConfig, 'Layout' | 'PackSize' | 'BlockSize'>,
): Promise<StoredVolume> {
  const recorded = layoutOf(existing.volume);
  const backups = await listBackupNames(p.store, p.volume.name);
  if (existing.volume.LastBackupName || backups.length > 0) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `volume ${p.volume.name} in ${p.store.url} is backed up in the ${recorded} layout (set by its first backup); its backups cannot switch to ${p.layout}. Leave --layout out, or back up to another store`,
      { details: { layout: recorded, requested: p.layout ?? null } },
    );
  }
  // The volume starts afresh: in the layout asked for, and the block size asked for (if any).
  const { Layout: _, PackSize: __, BlockSize, ...rest } = existing.volume;
  const volume = { ...rest, ...(p.blockSize === undefined && BlockSize !== undefined ? { BlockSize } : {}), ...fresh };
  await saveVolumeConfig(p.store, volume, existing.raw);
  return { volume, raw: existing.raw };
}

function requireSameEncryption(p: CreateBackupParams, existing: StoredVolume, keyId: string | undefined): StoredVolume {
  const recorded = encryptionKeyIdOf(p.volume.name, existing.raw);
  if (recorded === keyId) return existing;
  if (!recorded) throw notEncrypted(p.store, p.volume.name);
  throw new ConvoyError('KEY_REQUIRED', `volume ${p.volume.name} in ${p.store.url} is encrypted with store key ${recorded}; this backup was not`, {
    details: { volume: p.volume.name, keyId: recorded },
  });
}

export interface BackupContent {
  blocks: BlockMapping[];
  filePath: string;
  volumeSize: number;
  uploadedBytes: number;
  /** Delta-block mode: the size of the blocks in `blocks`. */
  blockSize?: number;
  /** Single-file backups: the stored archive's length and SHA-256. */
  archive?: { size: number; sha256: string };
  /** Delta-block mode: where the blocks are (recorded only for packs; absent means v0.5's layout). */
  layout?: StoreLayout;
}

/**
 * The commit point. The data is all in the store by now; the backup record makes the backup
 * exist (and listed), then volume.cfg points at it. A crash before the record leaves only
 * unreferenced objects, which a re-run reuses and prune sweeps.
 */
export async function commitBackup(p: CreateBackupParams, prepared: PreparedBackup, content: BackupContent): Promise<BackupSummary> {
  prepared.lock.assertHeld();
  const now = new Date();
  const backup: BackupConfig = {
    Name: prepared.backupName,
    Driver: p.driverName,
    VolumeName: p.volume.name,
    SnapshotName: p.snapshot.name,
    SnapshotCreatedAt: isoToStoreTime(p.snapshot.createdAt),
    CreatedTime: formatRubyDate(now),
    Blocks: content.blocks,
    SingleFile: { FilePath: content.filePath },
    CompressionMethod: prepared.compression,
    VolumeSize: content.volumeSize,
    UploadedBytes: content.uploadedBytes,
    ...(content.blockSize !== undefined && content.blockSize !== BLOCK_SIZE ? { BlockSize: content.blockSize } : {}),
    CreatedAt: now.toISOString(),
    ...(content.archive ? { ArchiveSize: content.archive.size, ArchiveSHA256: content.archive.sha256 } : {}),
    ...(content.layout === 'packs' ? { Layout: content.layout } : {}),
  };
  await saveBackupConfig(p.store, backup);
  // Another host may have backed the volume up meanwhile (backups share the lock): re-read.
  const current = (await loadVolumeConfig(p.store, p.volume.name)) ?? prepared.volumeConfig;
  const volume = { ...current.volume, LastBackupName: backup.Name, Size: content.volumeSize };
  await saveVolumeConfig(p.store, volume, current.raw);
  return summarizeBackup(p.destUrl, volume, backup);
}
