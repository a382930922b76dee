import { describe, expect, it } from 'vitest';
import { blocksOfExtents, mergeBlockMaps } from './block-map.js';

const B = 4;
const m = (Offset: number, c: string) => ({ Offset, BlockChecksum: c.repeat(64) });

describe('block maps', () => {
  it('cuts aligned extents into blocks, once each, in order; the last block may be short', () => {
    expect(
      blocksOfExtents(
        [
          { offset: 8, length: 8 },
          { offset: 0, length: 4 },
          { offset: 12, length: 4 },
        ],
        B,
        20,
      ),
    ).toEqual({ offsets: [0, 8, 12], bytes: 12 });
    expect(blocksOfExtents([{ offset: 16, length: 2 }], B, 18)).toEqual({ offsets: [16], bytes: 2 });
  });

  it('refuses extents a driver should never report', () => {
    for (const bad of [
      { offset: 2, length: 4 },
      { offset: 0, length: 3 },
      { offset: 16, length: 8 },
      { offset: -4, length: 4 },
    ]) {
      expect(() => blocksOfExtents([bad], B, 20)).toThrow(/aligned/);
    }
  });

  it('merges an incremental over the previous map: new blocks win, the volume end cuts', () => {
    expect(mergeBlockMaps([m(0, 'a'), m(4, 'b'), m(12, 'c')], [m(4, 'd'), m(8, 'e')], 12)).toEqual([m(0, 'a'), m(4, 'd'), m(8, 'e')]);
  });
});
