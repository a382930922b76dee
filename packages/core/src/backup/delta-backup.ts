import { ConvoyError } from '../errors.js';
import type { DeltaBlockBackupOps } from '../driver.js';
import type { BackupSummary } from '../model.js';
import { blocksOfExtents, mergeBlockMaps } from './block-map.js';
import { uploadBlocks } from './block-uploader.js';
import { blocksInFlight } from './workers.js';
import type { EngineContext } from './context.js';
import { blocksDir } from './layout.js';
import { backupBlockSize, backupMode, type BackupConfig } from './records.js';
import { commitBackup, prepareBackup, type PreparedBackup } from './backup-commit.js';
import type { CreateBackupParams } from './types.js';
import { isEmpty } from './store-records.js';
import { parseStoreTime } from './store-time.js';

interface Base {
  /** The snapshot to diff against, when the last backup's very snapshot still exists locally. */
  snapshotName?: string;
  /** The last backup's block map: merged into an incremental, and known to be in the store. */
  previous: BackupConfig | undefined;
}

/**
 * Delta-block backup (Convoy's CreateDeltaBlockBackup, made safe): diff against the last
 * backup's snapshot when the driver still has that very snapshot, else take every mapped
 * extent; upload the blocks the store lacks; then write the backup record, then the volume record.
 */
export async function createDeltaBlockBackup(ctx: EngineContext, p: CreateBackupParams, ops: DeltaBlockBackupOps): Promise<BackupSummary> {
  return prepareBackup(ctx, p, async (prepared) => {
    const volumeName = p.volume.name;
    const blockSize = prepared.blockSize;
    // The driver's extents are whole driver blocks (a thin pool's chunks); the engine cuts each
    // into whole blocks of the volume's size, hashes them all, and uploads only the new ones.
    if (!Number.isSafeInteger(ops.blockSize) || ops.blockSize <= 0 || ops.blockSize % blockSize !== 0) {
      throw new ConvoyError('INVALID_ARGUMENT', `driver ${p.driverName} reports changes in ${ops.blockSize}-byte blocks, which ${blockSize}-byte backup blocks do not divide`);
    }
    const base = await chooseBase(ctx, p, ops, prepared);
    const extents = await ops.compareSnapshots(volumeName, p.snapshot.name, base.snapshotName);
    const reader = await ops.openSnapshot(volumeName, p.snapshot.name);
    let result;
    let size: number;
    try {
      size = reader.size;
      const { offsets, bytes } = blocksOfExtents(extents, blockSize, size);
      result = await uploadBlocks({
        store: p.store,
        volumeName,
        reader,
        offsets,
        totalBytes: bytes,
        blockSize,
        format: { compression: prepared.compression },
        known: new Set(base.previous?.Blocks.map((m) => m.BlockChecksum)),
        // The previous map says what is stored; without one, a listing request tells whether
        // anything is (a first backup: nothing, so no HEAD per block).
        headBeforePut: !base.previous && !(await isEmpty(p.store, blocksDir(volumeName))),
        pool: ctx.pool,
        workers: ctx.workers,
        concurrency: blocksInFlight(prepared.concurrency, blockSize),
        nameBlock: p.sealing?.nameBlock,
        onProgress: p.onProgress,
        signal: p.signal,
      });
    } finally {
      await reader.close();
    }
    // After a full compare the map is exactly what the snapshot holds: nothing stale merged in.
    const blocks = base.snapshotName && base.previous ? mergeBlockMaps(base.previous.Blocks, result.mappings, size) : result.mappings;
    return commitBackup(p, prepared, { blocks, filePath: '', volumeSize: size, uploadedBytes: result.uploadedBytes, blockSize });
  });
}

async function chooseBase(ctx: EngineContext, p: CreateBackupParams, ops: DeltaBlockBackupOps, prepared: PreparedBackup): Promise<Base> {
  const lastName = prepared.volumeConfig.volume.LastBackupName;
  // volume.cfg was just read fresh; the record it names may be cached, once a HEAD shows it was not deleted.
  const last = lastName ? await ctx.records.load(p.store, p.volume.name, lastName, 'unknown') : undefined;
  // A chain never mixes block sizes: a last backup in other blocks (written by another
  // engine's rules) maps other offsets, so this backup reads everything and stands alone.
  if (!last || backupMode(last) !== 'delta-block' || backupBlockSize(last) !== prepared.blockSize) return { previous: undefined };
  return (await isLocalSnapshotOf(p, ops, last)) ? { snapshotName: last.SnapshotName, previous: last } : { previous: last };
}

/**
 * Whether the local snapshot named in the last backup is the one that backup read. A name alone
 * is not enough: another host's snapshot of that name, or one deleted and cut again, holds other
 * data, and diffing against it would silently leave changes out. The creation times must match
 * to the second (RubyDate keeps whole seconds); a record without a readable time never matches.
 */
async function isLocalSnapshotOf(p: CreateBackupParams, ops: DeltaBlockBackupOps, last: BackupConfig): Promise<boolean> {
  if (last.SnapshotName === '' || last.SnapshotName === p.snapshot.name) return false;
  const recorded = parseStoreTime(last.SnapshotCreatedAt);
  if (!recorded) return false;
  const local = await ops.getSnapshot(p.volume.name, last.SnapshotName);
  const created = local && parseStoreTime(local.createdAt);
  return created !== undefined && wholeSeconds(created) === wholeSeconds(recorded);
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
