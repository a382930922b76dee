import type { Extent } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import type { BlockMapping } from './records.js';

/**
 * The offsets of the blocks a driver's extents cover, ascending and each once. Extents must be
 * block-aligned (a thin pool's 2 MiB chunks are) and inside the volume; the last block of a
 * volume whose size is not a multiple of the block size may be short.
 */
export function blocksOfExtents(extents: readonly Extent[], blockSize: number, volumeSize: number): { offsets: number[]; bytes: number } {
  const sorted = [...extents].sort((a, b) => a.offset - b.offset);
  const offsets: number[] = [];
  let bytes = 0;
  for (const { offset, length } of sorted) {
    const end = offset + length;
    const aligned = offset % blockSize === 0 && (length % blockSize === 0 || end === volumeSize);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || !aligned || end > volumeSize) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `driver reported extent {offset ${offset}, length ${length}} that is not ${blockSize}-byte aligned inside the ${volumeSize}-byte volume`,
      );
    }
    for (let at = Math.max(offset, nextAfter(offsets, blockSize)); at < end; at += blockSize) {
      offsets.push(at);
      bytes += Math.min(blockSize, volumeSize - at);
    }
  }
  return { offsets, bytes };
}

function nextAfter(offsets: number[], blockSize: number): number {
  return offsets.length === 0 ? 0 : offsets[offsets.length - 1]! + blockSize;
}

/**
 * The block map of an incremental backup: the previous map with this backup's blocks replacing
 * those at the same offsets, minus anything past the volume's (possibly shrunk) end.
 */
export function mergeBlockMaps(previous: readonly BlockMapping[], changed: readonly BlockMapping[], volumeSize: number): BlockMapping[] {
  const byOffset = new Map<number, BlockMapping>();
  for (const m of previous) if (m.Offset < volumeSize) byOffset.set(m.Offset, m);
  for (const m of changed) byOffset.set(m.Offset, m);
  return sortBlockMap([...byOffset.values()]);
}

export function sortBlockMap(map: BlockMapping[]): BlockMapping[] {
  return map.sort((a, b) => a.Offset - b.Offset);
}
