import { ConvoyError, isConvoyError } from '../errors.js';
import type { DeltaBlockBackupOps } from '../driver.js';
import type { VolumeRecord } from '../model.js';
import { zeroBlockName, type BlockFormat } from './block-transform.js';
import type { BlockWorkers } from './block-workers.js';
import { blockKey } from './layout.js';
import { backupBlockSize, backupCompression, type BackupConfig, type VolumeConfig } from './records.js';
import type { RestoreParams } from './types.js';
import { blocksInFlight, runWorkers } from './workers.js';

/**
 * Restores a delta-block backup into a new volume: every distinct block is fetched once (in
 * parallel, `concurrency` at a time), opened (decompressed and verified against its name) on the
 * block workers and written at each offset that uses it. The restore is sparse: a new target
 * reads as zeros, so blocks of zeros (known by name, never fetched) and offsets the backup does
 * not map are not written, and stay holes. Any failure aborts the target, so no half-restored
 * volume remains.
 */
export async function restoreDeltaBlock(
  p: RestoreParams,
  ops: DeltaBlockBackupOps,
  backup: BackupConfig,
  volume: VolumeConfig | undefined,
  concurrency: number,
  workers: BlockWorkers,
): Promise<VolumeRecord> {
  const blockSize = backupBlockSize(backup);
  const size = restoreSize(p, backup, volume, blockSize);
  const recordedEnd = backup.VolumeSize ?? volume?.Size ?? size;
  const format: BlockFormat = { compression: backupCompression(backup) };
  const zeroBlock = zeroBlockName(blockSize, format, p.sealing?.nameBlock);
  const offsetsByChecksum = new Map<string, number[]>();
  for (const { Offset, BlockChecksum } of backup.Blocks) {
    const offsets = offsetsByChecksum.get(BlockChecksum);
    if (offsets) offsets.push(Offset);
    else offsetsByChecksum.set(BlockChecksum, [Offset]);
  }
  const totalBytes = backup.Blocks.reduce((sum, m) => sum + Math.min(blockSize, size - m.Offset), 0);
  let doneBytes = 0;
  const advance = (bytes: number): void => {
    doneBytes += bytes;
    p.onProgress?.({ phase: 'restore', doneBytes, totalBytes });
  };

  const target = await ops.createRestoreTarget(p.request, size);
  try {
    await runWorkers(
      offsetsByChecksum,
      blocksInFlight(concurrency, blockSize),
      async ([checksum, offsets]) => {
        // Every block is whole but the last one of a volume whose size is not a multiple.
        const length = Math.min(blockSize, recordedEnd - offsets[0]!);
        if (checksum === zeroBlock && length === blockSize) return advance(length * offsets.length);
        const where = `block ${checksum} (offset ${offsets[0]}${offsets.length > 1 ? ` and ${offsets.length - 1} more` : ''}) of backup ${backup.Name}`;
        const details = { checksum, offset: offsets[0], backup: backup.Name };
        const stored = await p.store.get(blockKey(p.volumeName, checksum));
        if (!stored) throw new ConvoyError('NOT_FOUND', `${where} is missing from ${p.store.url}`, { details });
        const data = await workers.open(stored, checksum, length, format, p.sealing?.nameBlock).catch((err: unknown) => {
          if (!isConvoyError(err, 'CORRUPT')) throw err;
          throw new ConvoyError('CORRUPT', `${where} ${err.message}`, { cause: err, details: { ...details, ...err.details } });
        });
        for (const offset of offsets) {
          const expected = Math.min(blockSize, recordedEnd - offset);
          if (data.length !== expected) throw new ConvoyError('CORRUPT', `${where} holds ${data.length} bytes where the backup needs ${expected} at offset ${offset}`);
          await target.write(data, offset, expected);
        }
        advance(data.length * offsets.length);
      },
      p.signal,
    );
    return await target.commit();
  } catch (err) {
    await target.abort().catch(() => undefined);
    throw err;
  }
}

/** The backup's own size unless the request asks for more; never less than the blocks need. */
function restoreSize(p: RestoreParams, backup: BackupConfig, volume: VolumeConfig | undefined, blockSize: number): number {
  const recorded = backup.VolumeSize ?? volume?.Size ?? 0;
  const last = backup.Blocks[backup.Blocks.length - 1];
  // The last block is short only when the recorded size ends inside it.
  const needed = last ? last.Offset + (recorded > last.Offset ? Math.min(blockSize, recorded - last.Offset) : blockSize) : 0;
  const size = p.request.size ?? recorded;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new ConvoyError('INVALID_ARGUMENT', `backup ${backup.Name} does not record its volume's size; give the new volume a size`);
  }
  if (size < needed) {
    throw new ConvoyError('INVALID_ARGUMENT', `a ${size}-byte volume is too small for backup ${backup.Name}, which needs ${needed} bytes`);
  }
  return size;
}
