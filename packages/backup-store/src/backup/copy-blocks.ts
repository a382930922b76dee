// Moves the blocks of one delta-block backup from a source store to a target store, fetching and
// storing only the blocks the target lacks. The orchestration (which backups, records, locks) is copy.ts.

import type { CompressionMethod, ObjectStore, StoreLayout } from '@convoy/core';
import { ConvoyError, isConvoyError } from '@convoy/core';
import { blockObjectPlan, forEachFetchedBlock, packPlan } from './block-fetch.js';
import type { BlockFormat } from './block-transform.js';
import { type BlockSink, blockObjectSink, packSink } from './block-uploader.js';
import type { BlockWorkers } from './block-workers.js';
import type { VolumeAccess } from './crypto/volume-access.js';
import { blocksDir } from './layout.js';
import { loadPackIndex, writeIndex } from './pack-index.js';
import { PackWriter } from './pack-writer.js';
import { type BackupConfig, type BlockMapping, backupBlockSize, backupCompression, layoutOf } from './records.js';
import { isEmpty } from './store-records.js';
import { blocksInFlight } from './workers.js';

/**
 * Source block name → target block name. Identical when both volumes name blocks the same way
 * (both in the clear: Convoy's checksum); otherwise learnt from backups both stores hold (the same
 * backup's two maps, offset by offset) and from the blocks this copy opened. A source block whose
 * target name is known, and which the target holds, is never fetched.
 */
export type NameMap = Map<string, string>;

/** Adds what the same backup's source and target maps say about names. */
export function learnNames(names: NameMap, source: BlockMapping[], target: BlockMapping[]): void {
  const at = new Map(target.map((m) => [m.Offset, m.BlockChecksum]));
  for (const m of source) {
    const name = at.get(m.Offset);
    if (name !== undefined) names.set(m.BlockChecksum, name);
  }
}

/** The target volume's blocks: what it holds, and where new ones go. */
export interface CopyTarget {
  access: VolumeAccess;
  volumeName: string;
  layout: StoreLayout;
  packSize: number;
  packUploads: number;
  /** Names the target's volume holds (grows as this copy stores blocks). */
  known: Set<string>;
  /**
   * v0.5 layout: how the target's block objects are compressed (its backups', which a record
   * states for all of its blocks); undefined: as the source backup recorded. Packs say it per blob.
   */
  compression: CompressionMethod | undefined;
}

/** What a target already holds: its pack index (packs), or the maps of its backups (v0.5, where a HEAD checks the rest). */
export async function targetKnownBlocks(store: ObjectStore, volumeName: string, layout: StoreLayout, maps: BlockMapping[][]): Promise<Set<string>> {
  if (layout === 'packs') return new Set((await loadPackIndex(store, volumeName)).blobs.keys());
  return new Set(maps.flatMap((map) => map.map((m) => m.BlockChecksum)));
}

export interface CopiedBlocks {
  blocks: BlockMapping[];
  /** How the copy's blocks are compressed, for its record. */
  compression: CompressionMethod;
  /** Blocks fetched from the source and stored in the target, and their stored bytes there. */
  copiedBlocks: number;
  copiedBytes: number;
  /** Distinct blocks the target already held. */
  reusedBlocks: number;
}

/**
 * Fetch plan from the source's layout (one GET per block object, or coalesced ranged reads of
 * packs: block-fetch.ts), open each block (decompressed and verified against its source name),
 * name it for the target (keyed when the target volume is encrypted), and store it unless the
 * target holds that name. Packs close into an index object before this returns, so the caller's
 * backup record (the commit point) only ever names blocks the target can find.
 */
export async function copyBlocks(p: {
  source: VolumeAccess;
  target: CopyTarget;
  backup: BackupConfig;
  names: NameMap | undefined;
  workers: BlockWorkers;
  concurrency: number;
  onBlockBytes: (bytes: number) => void;
  signal: AbortSignal | undefined;
}): Promise<CopiedBlocks> {
  const { backup, target } = p;
  const blockSize = backupBlockSize(backup);
  const format: BlockFormat = { compression: backupCompression(backup) };
  const targetFormat: BlockFormat = { compression: target.compression ?? format.compression };
  const end = mapEnd(backup);
  const lengthOf = new Map<string, number>();
  const uses = new Map<string, number>();
  for (const m of backup.Blocks) {
    if (!lengthOf.has(m.BlockChecksum)) lengthOf.set(m.BlockChecksum, Math.min(blockSize, end - m.Offset));
    uses.set(m.BlockChecksum, (uses.get(m.BlockChecksum) ?? 0) + 1);
  }
  const targetName = (name: string) => (p.names ? p.names.get(name) : name);
  const needed = [...lengthOf.keys()].filter((name) => {
    const mapped = targetName(name);
    return mapped === undefined || !target.known.has(mapped);
  });
  const reusedBlocks = lengthOf.size - needed.length;
  // Progress counts the backup's mapped bytes: what the target holds already is done at once.
  const bytesOf = (name: string) => lengthOf.get(name)! * uses.get(name)!;
  p.onBlockBytes(mappedBytes(backup) - needed.reduce((sum, name) => sum + bytesOf(name), 0));
  const sink = await targetSink(target, p.workers, targetFormat, p.signal);
  let copiedBlocks = 0;
  let copiedBytes = 0;
  try {
    const plan =
      layoutOf(backup) === 'packs'
        ? await packPlan(p.source.store, backup.VolumeName, needed, p.source.cipher, p.signal)
        : blockObjectPlan(p.source.store, backup.VolumeName, needed, format, blocksInFlight(p.concurrency, blockSize), p.signal);
    await forEachFetchedBlock(
      plan,
      async ({ name, stored, format: blockFormat }) => {
        const open = async () => p.workers.open(stored(), name, lengthOf.get(name)!, blockFormat, p.names ? p.source.nameBlock : undefined);
        const plain = await open().catch((err: unknown) => {
          throw inSource(err, backup, name);
        });
        const mapped = p.names ? await p.workers.name(plain, format, target.access.nameBlock) : name;
        p.names?.set(name, mapped);
        if (!target.known.has(mapped)) {
          const bytes = await sink.sink.store(mapped, plain);
          target.known.add(mapped);
          if (bytes > 0) {
            copiedBlocks += 1;
            copiedBytes += bytes;
          }
        }
        p.onBlockBytes(bytesOf(name));
      },
      { signal: p.signal, inFetch: (err, group) => inSource(err, backup, group.names[0]!) },
    );
    await sink.finish();
  } catch (err) {
    await sink.abandon();
    throw err;
  }
  const blocks = backup.Blocks.map((m) => ({ Offset: m.Offset, BlockChecksum: targetName(m.BlockChecksum)! }));
  return { blocks, compression: targetFormat.compression, copiedBlocks, copiedBytes, reusedBlocks };
}

/** Where a backup's map ends: its volume's size, else its last block's end. */
function mapEnd(backup: BackupConfig): number {
  const blockSize = backupBlockSize(backup);
  return backup.VolumeSize ?? backup.Blocks.reduce((max, m) => Math.max(max, m.Offset + blockSize), 0);
}

/** The bytes a backup's map covers, every offset counted (what a restore would write). */
export function mappedBytes(backup: BackupConfig): number {
  const blockSize = backupBlockSize(backup);
  const end = mapEnd(backup);
  return backup.Blocks.reduce((sum, m) => sum + Math.min(blockSize, end - m.Offset), 0);
}

/** Where copied blocks go: one object each (v0.5; a HEAD first when the block tree may hold blocks no record lists), or packs and their index. */
async function targetSink(
  t: CopyTarget,
  workers: BlockWorkers,
  format: BlockFormat,
  signal: AbortSignal | undefined,
): Promise<{ sink: BlockSink; finish(): Promise<void>; abandon(): Promise<void> }> {
  const store = t.access.store;
  if (t.layout === 'convoy-v0.5') {
    // A copy interrupted after some PUTs left blocks that no record lists yet: a HEAD skips re-sending them.
    const headBeforePut = !(await isEmpty(store, blocksDir(t.volumeName)));
    return {
      sink: blockObjectSink({ store, volumeName: t.volumeName, workers, format, headBeforePut }),
      finish: async () => undefined,
      abandon: async () => undefined,
    };
  }
  const writer = new PackWriter({ store, volumeName: t.volumeName, targetSize: t.packSize, maxUploads: t.packUploads, cipher: t.access.cipher, signal });
  return {
    sink: packSink({ writer, workers, format }),
    finish: async () => {
      const packs = await writer.finish();
      if (packs.length > 0) await writeIndex(store, t.volumeName, packs);
    },
    abandon: () => writer.abandon(),
  };
}

function inSource(err: unknown, backup: BackupConfig, name: string): unknown {
  if (!isConvoyError(err, 'CORRUPT') && !isConvoyError(err, 'NOT_FOUND')) return err;
  return new ConvoyError(err.code, `block ${name} of backup ${backup.Name} in the source cannot be copied: ${err.message}`, {
    cause: err,
    details: { ...err.details, checksum: name, backup: backup.Name },
  });
}
