import { randomBytes } from 'node:crypto';
import { ConvoyError } from '@convoy/core';
import { MemoryObjectStore } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { BLOCKS_OPENING, blockObjectPlan, type FetchPlan, forEachFetchedBlock, packPlan, RANGE_LIMIT, RANGES_IN_FLIGHT } from './block-fetch.js';
import { blockKey, packKey } from './layout.js';
import { encodePackTail, type PackBlob } from './pack-format.js';
import { writeIndex } from './pack-index.js';

/** How a pack restore turns the blocks it needs into ranged reads: coalesced across small gaps, split at the range limit. */

const KiB = 1024;
const name = (i: number) => i.toString(16).padStart(64, '0');

/** One pack of `count` blobs of `size` bytes each (stored as they are: compression none). */
async function packOf(store: MemoryObjectStore, count: number, size: number) {
  const blobs: PackBlob[] = [];
  const data: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    data.push(randomBytes(size));
    blobs.push({ Name: name(i + 1), Offset: i * size, Length: size, RawLength: size, Compression: 'none' });
  }
  const bytes = Buffer.concat([...data, encodePackTail(blobs, undefined)]);
  const pack = 'f'.repeat(64);
  await store.put(packKey('vol1', pack), bytes);
  await writeIndex(store, 'vol1', [{ Name: pack, Size: bytes.length, Blobs: blobs }]);
  return data;
}

describe('pack restore plan', () => {
  it('reads blocks within 256 KiB of each other with one request, and splits across wider gaps', async () => {
    const store = new MemoryObjectStore();
    const data = await packOf(store, 10, 100 * KiB);
    // Blobs 1-3 and 6 are 200 KiB apart (one read); 10 is 300 KiB beyond 6 (a read of its own).
    const plan = await packPlan(store, 'vol1', [1, 2, 3, 6, 10].map(name), undefined);
    expect(plan.inFlight).toBe(RANGES_IN_FLIGHT);
    expect(plan.groups.map((g) => g.names)).toEqual([[1, 2, 3, 6].map(name), [name(10)]]);
    const before = store.stats.get;
    const fetched = await Promise.all(plan.groups.map((g) => g.fetch()));
    expect(store.stats.get - before).toBe(2);
    for (const block of fetched.flatMap((g) => g.blocks)) expect(block.stored().equals(data[parseInt(block.name, 16) - 1]!)).toBe(true);
    for (const group of fetched) group.release();
  });

  it.each([
    ['reads into the buffer it is given (a directory store)', false],
    ["reads into a buffer of its own (S3 joins a response's chunks)", true],
  ])('hands every blob over in shared memory or in memory of its own, never as a view of the whole range, when the store %s', async (_, ownBuffer) => {
    class OwnBufferStore extends MemoryObjectStore {
      override getRange(key: string, offset: number, length: number, into?: Buffer) {
        return super.getRange(key, offset, length, ownBuffer ? undefined : into);
      }
    }
    const store = new OwnBufferStore();
    const data = await packOf(store, 4, 100 * KiB);
    const plan = await packPlan(store, 'vol1', [1, 2, 3, 4].map(name), undefined);
    expect(plan.groups).toHaveLength(1);
    const fetched = await plan.groups[0]!.fetch();
    for (const block of fetched.blocks) {
      const stored = block.stored();
      // Shared, a block worker reads it in place; owned, it is handed over. A view of unshared
      // memory would be cloned whole, range and all.
      if (ownBuffer) expect(stored.byteLength).toBe(stored.buffer.byteLength);
      else expect(stored.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(stored.equals(data[parseInt(block.name, 16) - 1]!)).toBe(true);
    }
    fetched.release();
  });

  it('never reads more than the range limit at once, however many adjacent blocks a pack holds', async () => {
    const store = new MemoryObjectStore();
    const size = 1024 * KiB;
    await packOf(store, 30, size);
    const plan = await packPlan(
      store,
      'vol1',
      Array.from({ length: 30 }, (_, i) => name(i + 1)),
      undefined,
    );
    const perRead = Math.floor(RANGE_LIMIT / size);
    expect(plan.groups.map((g) => g.names.length)).toEqual([perRead, 30 - perRead]);
  });

  it('fails NOT_FOUND naming how many blocks no pack holds', async () => {
    const store = new MemoryObjectStore();
    await packOf(store, 2, KiB);
    await expect(packPlan(store, 'vol1', [name(1), name(7), name(8)], undefined)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^2 blocks .* are in no pack/),
    });
  });
});

describe('forEachFetchedBlock', () => {
  /** `groups` groups of `size` blocks whose fetches answer at once, each group's release recorded. */
  const planOf = (groups: number, size: number, released: number[]): FetchPlan => ({
    inFlight: RANGES_IN_FLIGHT,
    groups: Array.from({ length: groups }, (_, g) => {
      const names = Array.from({ length: size }, (_, b) => name(g * size + b + 1));
      return {
        names,
        fetch: async () => ({
          blocks: names.map((n) => ({ name: n, stored: () => Buffer.alloc(0), format: { compression: 'none' as const } })),
          release: () => released.push(g),
        }),
      };
    }),
  });

  it('opens at most BLOCKS_OPENING blocks at once across the groups in flight, uses every block once and releases every group', async () => {
    const released: number[] = [];
    let open = 0;
    let most = 0;
    const used: string[] = [];
    await forEachFetchedBlock(planOf(5, 4, released), async (block) => {
      open += 1;
      most = Math.max(most, open);
      // Each block takes a few turns of the event loop, so a second group's fetch lands while the first is opening.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      used.push(block.name);
      open -= 1;
    });
    expect(most).toBe(BLOCKS_OPENING);
    expect(used.sort()).toEqual(Array.from({ length: 20 }, (_, i) => name(i + 1)));
    expect(released.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the first failure, releases what it fetched, and names a failed fetch through inFetch', async () => {
    const released: number[] = [];
    const failing = planOf(3, 2, released);
    await expect(
      forEachFetchedBlock(failing, async (block) => {
        if (block.name === name(3)) throw new Error('cannot open block 3');
      }),
    ).rejects.toThrow('cannot open block 3');
    expect(released).toContain(1);

    const unreadable: FetchPlan = { inFlight: 1, groups: [{ names: [name(9)], fetch: () => Promise.reject(new Error('pack gone')) }] };
    await expect(
      forEachFetchedBlock(unreadable, async () => undefined, { inFetch: (err, group) => new Error(`${group.names[0]}: ${(err as Error).message}`) }),
    ).rejects.toThrow(`${name(9)}: pack gone`);
  });
});

describe("fetch plans read with the operation's signal (restore, standby sync and copy use them)", () => {
  const reason = new ConvoyError('CANCELLED', 'cancelled: the client went away');

  it('a pack plan reads the index with it, and each ranged read: cancelled, they reject with its reason', async () => {
    const store = new MemoryObjectStore();
    await packOf(store, 4, 100 * KiB);
    await expect(packPlan(store, 'vol1', [name(1)], undefined, AbortSignal.abort(reason))).rejects.toBe(reason);
    const stop = new AbortController();
    const plan = await packPlan(store, 'vol1', [1, 2].map(name), undefined, stop.signal);
    stop.abort(reason);
    await expect(plan.groups[0]!.fetch()).rejects.toBe(reason);
  });

  it('a block-object plan GETs each block with it', async () => {
    const store = new MemoryObjectStore();
    await store.put(blockKey('vol1', name(1)), Buffer.from('block'));
    const stop = new AbortController();
    const plan = blockObjectPlan(store, 'vol1', [name(1)], { compression: 'none' }, 1, stop.signal);
    stop.abort(reason);
    await expect(plan.groups[0]!.fetch()).rejects.toBe(reason);
  });
});
