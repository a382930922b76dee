/* RangeBuffers: a restore's ranged reads reuse at most `count` shared buffers, never lend one buffer twice at once, and give a range larger than their buffers one of its own. */
import { describe, expect, it } from 'vitest';
import { RangeBuffers } from './range-buffers.js';

describe('RangeBuffers', () => {
  it('lends the same buffer read after read once it is given back', () => {
    const buffers = new RangeBuffers(1024, 2);
    const first = buffers.take(100);
    buffers.give(first);
    for (let i = 0; i < 5; i += 1) {
      const again = buffers.take(100 + i);
      expect(again).toBe(first);
      buffers.give(again);
    }
  });

  it('never lends a buffer that is still taken, and keeps at most `count` of them', () => {
    const buffers = new RangeBuffers(1024, 2);
    const taken = [buffers.take(512), buffers.take(512), buffers.take(512)];
    expect(new Set(taken).size).toBe(3);
    for (const b of taken) buffers.give(b);
    // Given back twice (a bug elsewhere) still lends it once.
    buffers.give(taken[0]!);
    const after = [buffers.take(512), buffers.take(512), buffers.take(512)];
    expect(new Set(after).size).toBe(3);
    expect(after.filter((b) => taken.includes(b))).toHaveLength(2);
  });

  it('lends shared memory, so the block workers open blobs where they lie', () => {
    const buffers = new RangeBuffers(1024, 1);
    expect(buffers.take(100).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(buffers.take(4096).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('gives a range larger than its buffers a buffer of its own, which it does not keep', () => {
    const buffers = new RangeBuffers(1024, 1);
    const large = buffers.take(4096);
    expect(large.length).toBe(4096);
    buffers.give(large);
    expect(buffers.take(10)).not.toBe(large);
  });
});
