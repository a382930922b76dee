/**
 * Moves a standby volume from the backup(s) it may hold to another backup of the same source
 * volume, writing only what differs. Delta-block: the block maps of the held backups and of the
 * target are compared offset by offset (a block's name is the hash of its bytes, so equal names
 * are equal bytes); an offset where any held map differs from the target is rewritten, with the
 * target's block (fetched once per distinct block through the same coalesced plans a restore
 * uses, packs or v0.5, sealed or not) or with zeros where the target maps nothing or a zero
 * block. The chain need not be consecutive and the target may be older: only the two maps
 * matter. When a held record is gone from the store (retention removed it), nothing is known of
 * the volume's content, so every block is rewritten ("full rewrite"). Single-file backups
 * (directory volumes) have no block map: the driver re-extracts the whole archive beside the
 * volume and swaps it in ("full re-extract").
 */

import type { DeltaBlockBackupOps, ObjectStore, SingleFileBackupOps, StandbySyncReport } from '@convoy/core';
import { ConvoyError, isConvoyError, validateName } from '@convoy/core';
import { blockObjectPlan, forEachFetchedBlock, packPlan } from './block-fetch.js';
import { zeroBlockName } from './block-transform.js';
import type { EngineContext } from './context.js';
import { withStoreLock } from './context.js';
import { requireRecord } from './listing.js';
import { type BackupConfig, backupBlockSize, backupCompression, backupMode, layoutOf } from './records.js';
import { restoreSingleFile } from './single-file.js';
import type { PipelineOptions, VolumeSealing } from './types.js';
import { blocksInFlight, runWorkers, Slots } from './workers.js';

export interface StandbySyncParams extends PipelineOptions {
  store: ObjectStore;
  /** The source volume whose backups the standby follows. */
  volumeName: string;
  /** Backups whose blocks the standby may hold now (one, or more after an interrupted sync). */
  heldBackups: string[];
  targetBackup: string;
  /** The local standby volume. */
  standbyVolume: string;
  driverName: string;
  ops: DeltaBlockBackupOps | SingleFileBackupOps;
  owner: string;
  /** Set by the engine from the volume's encryption, never by callers. */
  sealing?: VolumeSealing;
}

export async function syncStandby(ctx: EngineContext, p: StandbySyncParams): Promise<StandbySyncReport> {
  validateName(p.volumeName, 'volume');
  validateName(p.targetBackup, 'backup');
  for (const held of p.heldBackups) validateName(held, 'backup');
  return withStoreLock(ctx, p.store, p.volumeName, 'restore', p.owner, async () => {
    const target = await requireRecord(ctx, p.store, p.volumeName, p.targetBackup);
    const madeBy = target.Driver;
    if (madeBy && madeBy !== p.driverName) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `backup ${target.Name} of volume ${p.volumeName} was made by driver ${madeBy}; standby ${p.standbyVolume} is a ${p.driverName} volume`,
      );
    }
    const mode = backupMode(target);
    if (mode !== p.ops.mode)
      throw new ConvoyError('INVALID_ARGUMENT', `backup ${target.Name} is a ${mode} backup; driver ${p.driverName} syncs ${p.ops.mode} backups`);
    if (p.ops.mode === 'single-file') return reextract(p, p.ops, target);
    return blockDiff(ctx, p, p.ops, target);
  });
}

async function reextract(p: StandbySyncParams, ops: SingleFileBackupOps, target: BackupConfig): Promise<StandbySyncReport> {
  const replace = ops.replaceVolume?.bind(ops);
  if (!replace)
    throw new ConvoyError('NOT_SUPPORTED', `driver ${p.driverName} cannot replace a volume's content, so its standby volumes cannot be synced`, {
      details: { driver: p.driverName },
    });
  const replacing: SingleFileBackupOps = { ...ops, importVolume: (req, tar) => replace(req.name, tar) };
  await restoreSingleFile({ ...p, backupName: target.Name, request: { name: p.standbyVolume, options: {} } }, replacing, target);
  return { method: 'full re-extract', ...held(target), blocksCompared: 0, blocksWritten: 0, blocksZeroed: 0, bytesWritten: target.ArchiveSize ?? 0 };
}

function held(target: BackupConfig): { backupName: string; backupCreatedAt: string } {
  return { backupName: target.Name, backupCreatedAt: target.CreatedAt ?? target.CreatedTime };
}

/** Offset → block name; an offset the map leaves out reads as zeros. */
function blockMap(backup: BackupConfig): Map<number, string> {
  return new Map(backup.Blocks.map((b) => [b.Offset, b.BlockChecksum]));
}

/** The held maps, or why there are none to diff against. */
async function heldMaps(ctx: EngineContext, p: StandbySyncParams, blockSize: number): Promise<{ maps: Array<Map<number, string>> } | { reason: string }> {
  if (p.heldBackups.length === 0) return { reason: 'the standby holds no known backup' };
  const maps: Array<Map<number, string>> = [];
  for (const name of p.heldBackups) {
    let record: BackupConfig;
    try {
      record = await requireRecord(ctx, p.store, p.volumeName, name);
    } catch (err) {
      if (isConvoyError(err, 'NOT_FOUND')) return { reason: `backup ${name}, which the standby held, is no longer in the store` };
      throw err;
    }
    if (backupBlockSize(record) !== blockSize)
      return { reason: `backup ${name} has ${backupBlockSize(record)}-byte blocks, the target ${blockSize}-byte ones` };
    maps.push(blockMap(record));
  }
  return { maps };
}

async function blockDiff(ctx: EngineContext, p: StandbySyncParams, ops: DeltaBlockBackupOps, target: BackupConfig): Promise<StandbySyncReport> {
  const open = ops.openVolumeWriter?.bind(ops);
  if (!open)
    throw new ConvoyError('NOT_SUPPORTED', `driver ${p.driverName} cannot write blocks into an existing volume, so its standby volumes cannot be synced`, {
      details: { driver: p.driverName },
    });
  const blockSize = backupBlockSize(target);
  const format = { compression: backupCompression(target) };
  const zeroBlock = zeroBlockName(blockSize, format, p.sealing?.nameBlock);
  const wanted = blockMap(target);
  const known = await heldMaps(ctx, p, blockSize);
  const writer = await open(p.standbyVolume);
  // One write at a time, as a restore writes (delta-restore.ts): writes side by side only spin on the file's lock.
  const writing = new Slots(1);
  let closed = false;
  try {
    const recordedEnd = target.VolumeSize ?? writer.size;
    if (recordedEnd > writer.size) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `backup ${target.Name} is of a ${recordedEnd}-byte volume; standby ${p.standbyVolume} has only ${writer.size} bytes`,
      );
    }
    const lengthAt = (offset: number) => Math.min(blockSize, writer.size - offset);
    // Offsets to rewrite: where any held map differs from the target, or (no maps) every block.
    const offsets = new Set<number>();
    if ('maps' in known) {
      for (const map of known.maps) {
        for (const [offset, name] of map) if (wanted.get(offset) !== name) offsets.add(offset);
        for (const [offset, name] of wanted) if (map.get(offset) !== name) offsets.add(offset);
      }
    } else {
      for (let offset = 0; offset < writer.size; offset += blockSize) offsets.add(offset);
    }
    const zeros: number[] = [];
    const byBlock = new Map<string, number[]>();
    for (const offset of [...offsets].sort((a, b) => a - b)) {
      const name = wanted.get(offset);
      if (name === undefined || (name === zeroBlock && lengthAt(offset) === blockSize)) zeros.push(offset);
      else byBlock.set(name, [...(byBlock.get(name) ?? []), offset]);
    }
    const totalBytes = [...offsets].reduce((sum, offset) => sum + lengthAt(offset), 0);
    let bytesWritten = 0;
    const wrote = (bytes: number) => {
      bytesWritten += bytes;
      p.onProgress?.({ phase: 'standby sync', doneBytes: bytesWritten, totalBytes });
    };
    await runWorkers(
      zeros,
      1,
      async (offset) => {
        await writing.run(() => writer.zero(offset, lengthAt(offset)));
        wrote(lengthAt(offset));
      },
      p.signal,
    );
    const names = [...byBlock.keys()];
    const plan =
      layoutOf(target) === 'packs'
        ? await packPlan(p.store, p.volumeName, names, p.sealing?.cipher, p.signal)
        : blockObjectPlan(p.store, p.volumeName, names, format, blocksInFlight(ctx.concurrency, blockSize), p.signal);
    await forEachFetchedBlock(
      plan,
      async ({ name, stored, format: blockFormat }) => {
        const at = byBlock.get(name)!;
        // The plaintext lands in a pooled shared buffer, as a restore's does: the engine's thread gets no block memory.
        const into = ctx.pool.take(blockSize);
        try {
          const data = await ctx.workers.open(stored(), name, lengthAt(at[0]!), blockFormat, p.sealing?.nameBlock, into);
          for (const offset of at) {
            if (data.length < lengthAt(offset))
              throw new ConvoyError(
                'CORRUPT',
                `block ${name} of backup ${target.Name} holds ${data.length} bytes where offset ${offset} needs ${lengthAt(offset)}`,
              );
            await writing.run(() => writer.write(data, offset, lengthAt(offset)));
            wrote(lengthAt(offset));
          }
        } finally {
          ctx.pool.give(into);
        }
      },
      { signal: p.signal },
    );
    closed = true;
    await writer.close();
    return {
      method: 'maps' in known ? 'block-diff' : 'full rewrite',
      ...('reason' in known ? { reason: known.reason } : {}),
      ...held(target),
      blocksCompared: wanted.size,
      blocksWritten: offsets.size - zeros.length,
      blocksZeroed: zeros.length,
      bytesWritten,
    };
  } finally {
    // A failed sync leaves its journal set; the writes that landed are made durable or not, either is covered.
    if (!closed) await writer.close().catch(() => undefined);
  }
}
