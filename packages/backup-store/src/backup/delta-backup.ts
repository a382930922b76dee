import type { BackupSummary, DeltaBlockBackupOps } from '@convoy/core';
import { ConvoyError, parseStoreTime } from '@convoy/core';
import { commitBackup, type PreparedBackup, prepareBackup } from './backup-commit.js';
import { blocksOfExtents, mergeBlockMaps } from './block-map.js';
import type { BlockFormat } from './block-transform.js';
import { type BlockSink, blockObjectSink, packSink, uploadBlocks } from './block-uploader.js';
import type { EngineContext } from './context.js';
import { blocksDir } from './layout.js';
import { loadPackIndex, writeIndex } from './pack-index.js';
import { PackWriter } from './pack-writer.js';
import { type BackupConfig, backupBlockSize, backupMode, layoutOf } from './records.js';
import { isEmpty } from './store-records.js';
import type { CreateBackupParams } from './types.js';
import { blocksInFlight } from './workers.js';

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
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `driver ${p.driverName} reports changes in ${ops.blockSize}-byte blocks, which ${blockSize}-byte backup blocks do not divide`,
      );
    }
    const base = await chooseBase(ctx, p, ops, prepared);
    const extents = await ops.compareSnapshots(volumeName, p.snapshot.name, base.snapshotName);
    const reader = await ops.openSnapshot(volumeName, p.snapshot.name);
    const format = { compression: prepared.compression };
    const target = await blockTarget(ctx, p, prepared, base, format);
    let result;
    let size: number;
    try {
      size = reader.size;
      const { offsets, bytes } = blocksOfExtents(extents, blockSize, size);
      result = await uploadBlocks({
        reader,
        offsets,
        totalBytes: bytes,
        blockSize,
        format,
        known: target.known,
        sink: target.sink,
        pool: ctx.pool,
        workers: ctx.workers,
        concurrency: blocksInFlight(prepared.concurrency, blockSize),
        nameBlock: p.sealing?.nameBlock,
        onProgress: p.onProgress,
        signal: p.signal,
      });
      await target.finish();
    } catch (err) {
      await target.abandon();
      throw err;
    } finally {
      await reader.close();
    }
    // After a full compare the map is exactly what the snapshot holds: nothing stale merged in.
    const blocks = base.snapshotName && base.previous ? mergeBlockMaps(base.previous.Blocks, result.mappings, size) : result.mappings;
    const summary = await commitBackup(p, prepared, {
      blocks,
      filePath: '',
      volumeSize: size,
      uploadedBytes: result.uploadedBytes,
      blockSize,
      layout: prepared.layout,
    });
    return { ...summary, uploadedBlocks: result.uploadedBlocks };
  });
}

interface BlockTarget {
  known: Set<string>;
  sink: BlockSink;
  /** Makes what the sink stored findable (the pack layout's index object); before the backup record. */
  finish(): Promise<void>;
  /** After a failure: waits for uploads still running. */
  abandon(): Promise<void>;
}

/**
 * Where this backup's new blocks go, and what the store holds already. v0.5 layout: one object
 * per block, known from the previous map (or a HEAD each when there is none but the block tree
 * is not empty). Pack layout: the volume's index objects say what is stored (one listing and a
 * GET each, never a read of the packs); new blocks fill packs; once every pack is up, one index
 * object lists them. Write order: packs, index, then (the caller) backup record, volume.cfg.
 */
async function blockTarget(ctx: EngineContext, p: CreateBackupParams, prepared: PreparedBackup, base: Base, format: BlockFormat): Promise<BlockTarget> {
  const volumeName = p.volume.name;
  if (prepared.layout === 'convoy-v0.5') {
    // Without a previous map, an object already stored under a block's name stands for it only
    // when its compression is known to be this backup's (block-compression.ts); else it is overwritten.
    const headBeforePut = !base.previous && prepared.storedBlocksReusable && !(await isEmpty(p.store, blocksDir(volumeName)));
    return {
      known: new Set(base.previous?.Blocks.map((m) => m.BlockChecksum)),
      sink: blockObjectSink({ store: p.store, volumeName, workers: ctx.workers, format, headBeforePut }),
      finish: async () => undefined,
      abandon: async () => undefined,
    };
  }
  const index = await loadPackIndex(p.store, volumeName);
  const writer = new PackWriter({
    store: p.store,
    volumeName,
    targetSize: prepared.packSize,
    maxUploads: ctx.packs.uploads,
    cipher: p.sealing?.cipher,
    signal: p.signal,
  });
  return {
    known: new Set(index.blobs.keys()),
    sink: packSink({ writer, workers: ctx.workers, format }),
    finish: async () => {
      const packs = await writer.finish();
      prepared.lock.assertHeld();
      if (packs.length > 0) await writeIndex(p.store, volumeName, packs);
    },
    abandon: () => writer.abandon(),
  };
}

async function chooseBase(ctx: EngineContext, p: CreateBackupParams, ops: DeltaBlockBackupOps, prepared: PreparedBackup): Promise<Base> {
  const lastName = prepared.volumeConfig.volume.LastBackupName;
  // volume.cfg was just read fresh; the record it names may be cached, once a HEAD shows it was not deleted.
  const last = prepared.lastBackup ?? (lastName ? await ctx.records.load(p.store, p.volume.name, lastName, 'unknown') : undefined);
  // A chain never mixes block sizes: a last backup in other blocks (written by another
  // engine's rules) maps other offsets, so this backup reads everything and stands alone.
  if (!last || backupMode(last) !== 'delta-block' || backupBlockSize(last) !== prepared.blockSize || layoutOf(last) !== prepared.layout)
    return { previous: undefined };
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
