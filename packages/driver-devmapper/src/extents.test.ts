import { describe, expect, it } from 'vitest';
import { CHANGE_BLOCK_SIZE } from './change-block.js';
import { CHANGED_KINDS, MAPPED_KINDS, rangesToExtents } from './extents.js';
import type { DeltaRange } from './thin-delta.js';

const MiB = 1024 * 1024;

describe('rangesToExtents', () => {
  const geometry2M = { poolBlockBytes: 2 * MiB, alignBytes: CHANGE_BLOCK_SIZE, limitBytes: 100 * MiB };

  it('keeps everything but same for an incremental, merging neighbours', () => {
    const ranges: DeltaRange[] = [
      { kind: 'different', begin: 0, length: 1 },
      { kind: 'same', begin: 1, length: 3 },
      { kind: 'right_only', begin: 4, length: 2 },
      { kind: 'left_only', begin: 6, length: 1 },
      { kind: 'different', begin: 10, length: 1 },
    ];
    expect(rangesToExtents(ranges, CHANGED_KINDS, geometry2M)).toEqual([
      { offset: 0, length: 2 * MiB },
      { offset: 8 * MiB, length: 6 * MiB },
      { offset: 20 * MiB, length: 2 * MiB },
    ]);
  });

  it('keeps only same ranges for a full backup (a snapshot against itself)', () => {
    const ranges: DeltaRange[] = [
      { kind: 'same', begin: 3, length: 5 },
      { kind: 'same', begin: 12, length: 1 },
    ];
    expect(rangesToExtents(ranges, MAPPED_KINDS, geometry2M)).toEqual([
      { offset: 6 * MiB, length: 10 * MiB },
      { offset: 24 * MiB, length: 2 * MiB },
    ]);
  });

  it('widens small pool blocks outward to whole backup blocks and merges what then overlaps', () => {
    const geometry = { poolBlockBytes: 64 * 1024, alignBytes: CHANGE_BLOCK_SIZE, limitBytes: 1024 * MiB };
    // Blocks of the real sample: 0, 8-9, 265, 2064-2079, 2144-2159 (64 KiB each).
    const ranges: DeltaRange[] = [
      { kind: 'different', begin: 0, length: 1 },
      { kind: 'different', begin: 8, length: 2 },
      { kind: 'different', begin: 265, length: 1 },
      { kind: 'right_only', begin: 2064, length: 16 },
      { kind: 'different', begin: 2144, length: 16 },
    ];
    expect(rangesToExtents(ranges, CHANGED_KINDS, geometry)).toEqual([
      { offset: 0, length: 2 * MiB },
      { offset: 16 * MiB, length: 2 * MiB },
      { offset: 128 * MiB, length: 2 * MiB },
      { offset: 134 * MiB, length: 2 * MiB },
    ]);
  });

  it('clips at the snapshot size and sorts unsorted input', () => {
    const ranges: DeltaRange[] = [
      { kind: 'different', begin: 49, length: 4 },
      { kind: 'different', begin: 2, length: 1 },
    ];
    expect(rangesToExtents(ranges, CHANGED_KINDS, geometry2M)).toEqual([
      { offset: 4 * MiB, length: 2 * MiB },
      { offset: 98 * MiB, length: 2 * MiB },
    ]);
  });
});
