import { Readable } from 'node:stream';
import { GarbageBudget } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { readRangeInto } from './read-range-into.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A response body of `count` chunks of `size` bytes, chunk i filled with i % 251, made as they are read. */
function body(count: number, size: number): Readable {
  let made = 0;
  return new Readable({
    read() {
      this.push(made < count ? Buffer.alloc(size, made++ % 251) : null);
    },
  });
}

describe('readRangeInto', () => {
  it('notes every chunk it copied from in the garbage budget, so no more than the budget lies uncollected', async () => {
    let collections = 0;
    const garbage = new GarbageBudget(4 * MiB, () => (collections += 1));
    const got = await readRangeInto(body(320, 64 * KiB), 0, 20 * MiB, Buffer.alloc(20 * MiB), garbage);
    expect(got.length).toBe(20 * MiB);
    expect(got[64 * KiB * 319]).toBe(319 % 251);
    // 20 MiB of chunks: a collection after each 4 MiB of them (GarbageBudget's own test says when).
    expect(collections).toBe(5);
    expect(garbage.uncollectedBytes).toBe(0);
  });

  it('counts the chunks it skipped too: they are garbage as well', async () => {
    const garbage = new GarbageBudget(MiB, () => undefined);
    const got = await readRangeInto(body(48, 64 * KiB), 2 * MiB, 512 * KiB, Buffer.alloc(MiB), garbage);
    expect(got.length).toBe(512 * KiB);
    expect(got[0]).toBe(32);
    expect(garbage.collections).toBe(3);
  });
});
