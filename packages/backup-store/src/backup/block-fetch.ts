import type { ObjectStore } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import type { BlockFormat } from './block-transform.js';
import { blockKey, packKey } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { corruptPack } from './pack-format.js';
import { type BlobLocation, indexUnlistedPacks, loadPackIndex } from './pack-index.js';
import { RangeBuffers } from './range-buffers.js';
import { runWorkers, Slots } from './workers.js';

/** One block as read from the store. */
export interface FetchedBlock {
  name: string;
  /**
   * Its stored bytes, still compressed (for packs, unsealed): taken one block at a time, as
   * each is opened, and read only until its group is released. A block object's own buffer; a
   * pack blob's view of the shared range buffer, which the block workers read in place (or a
   * copy of its own, when unsealed or read by a store into its own buffer).
   */
  stored(): Buffer;
  format: BlockFormat;
}

/** Blocks read with one request, held until `release` (which frees the read's buffer for the next). */
export interface FetchedGroup {
  blocks: FetchedBlock[];
  release(): void;
}

/** Blocks fetched with one request: one block object (v0.5), or a run of blobs of one pack. */
export interface FetchGroup {
  names: string[];
  fetch(): Promise<FetchedGroup>;
}

export interface FetchPlan {
  groups: FetchGroup[];
  /** Groups fetched at once. */
  inFlight: number;
}

/**
 * Blocks being opened (unsealed, decompressed and checked on the block workers, then written) at
 * once, across all the groups of one operation: enough to keep the workers busy while one block
 * is written. Counted per group, a group fetched while the one before was still opening doubled
 * it, and each block being opened holds a pooled block buffer (8 MiB of a restore's peak RSS
 * from S3).
 */
export const BLOCKS_OPENING = 3;

/**
 * Fetches the plan's groups, `plan.inFlight` at a time, and hands each of their blocks to `use`,
 * at most BLOCKS_OPENING at once in all; a group's buffer is released once its blocks are used.
 * `inFetch` may rename a failed fetch's error (say which backup the group's first block is of).
 */
export async function forEachFetchedBlock(
  plan: FetchPlan,
  use: (block: FetchedBlock) => Promise<void>,
  opts: { signal?: AbortSignal | undefined; inFetch?: (err: unknown, group: FetchGroup) => unknown } = {},
): Promise<void> {
  const opening = new Slots(BLOCKS_OPENING);
  await runWorkers(
    plan.groups,
    plan.inFlight,
    async (group) => {
      const fetched = await group.fetch().catch((err: unknown) => {
        throw opts.inFetch ? opts.inFetch(err, group) : err;
      });
      try {
        await runWorkers(fetched.blocks, BLOCKS_OPENING, (block) => opening.run(() => use(block)), opts.signal);
      } finally {
        fetched.release();
      }
    },
    opts.signal,
  );
}

/** Convoy v0.5's layout: one GET per block, `inFlight` at once; `signal` cancels the GETs. */
export function blockObjectPlan(
  store: ObjectStore,
  volumeName: string,
  names: string[],
  format: BlockFormat,
  inFlight: number,
  signal?: AbortSignal,
): FetchPlan {
  return {
    inFlight,
    groups: names.map((name) => ({
      names: [name],
      fetch: async () => {
        const stored = await store.get(blockKey(volumeName, name), { signal });
        if (!stored) throw new ConvoyError('NOT_FOUND', `it is missing from ${store.url}`, { details: { checksum: name } });
        return { blocks: [{ name, stored: () => stored, format }], release: () => undefined };
      },
    })),
  };
}

/**
 * A ranged read covers blobs of one pack that lie within this gap of each other (reading a
 * little unneeded data costs less than another request), up to RANGE_LIMIT bytes: a whole
 * default pack (16 MiB and its last block) is one GET.
 */
const MAX_GAP = 256 * 1024;
export const RANGE_LIMIT = 20 * 1024 * 1024;
/**
 * Ranged reads in flight, chosen for a remote S3 (tens of ms per request): a read of a whole
 * pack (16 MiB) lasts several round trips even at a few hundred MB/s, so a second read in flight
 * hides the next request's latency while the blocks of the first are opened and written;
 * memory holds at most RANGES_IN_FLIGHT × RANGE_LIMIT stored bytes (40 MiB), in shared buffers
 * reused from read to read (range-buffers.ts) that the block workers open blobs from in place.
 */
export const RANGES_IN_FLIGHT = 2;

/**
 * The pack layout: where each block is comes from the volume's index objects; blocks no index
 * object lists (one was lost or is corrupt) are looked for in the headers of the packs no index
 * object lists. Blocks are then read in ranges, adjacent ones of a pack coalesced. `signal`
 * cancels every read, the index's and the ranges'.
 */
export async function packPlan(
  store: ObjectStore,
  volumeName: string,
  names: string[],
  cipher: BlobCipher | undefined,
  signal?: AbortSignal,
): Promise<FetchPlan> {
  const index = await loadPackIndex(store, volumeName, signal);
  let unindexed = names.filter((name) => !index.blobs.has(name));
  let unreadablePacks: string[] = [];
  if (unindexed.length > 0) {
    unreadablePacks = (await indexUnlistedPacks(store, volumeName, index, cipher, signal)).unreadable.map((u) => u.key);
    unindexed = unindexed.filter((name) => !index.blobs.has(name));
  }
  if (unindexed.length > 0) {
    const why = [
      index.broken.length > 0 ? `unreadable index objects: ${index.broken.map((b) => b.key).join(', ')}` : '',
      unreadablePacks.length > 0 ? `unreadable packs: ${unreadablePacks.join(', ')}` : '',
    ].filter(Boolean);
    throw new ConvoyError(
      'NOT_FOUND',
      `${unindexed.length} blocks (e.g. ${unindexed[0]}) are in no pack of ${store.url}${why.length ? ` (${why.join('; ')})` : ''}`,
      {
        details: { checksum: unindexed[0], missing: unindexed.length },
      },
    );
  }
  const byPack = new Map<string, Array<{ name: string; at: BlobLocation }>>();
  for (const name of names) {
    const at = index.blobs.get(name)!;
    const list = byPack.get(at.pack) ?? [];
    list.push({ name, at });
    byPack.set(at.pack, list);
  }
  const buffers = new RangeBuffers(RANGE_LIMIT, RANGES_IN_FLIGHT);
  const groups: FetchGroup[] = [];
  for (const [pack, blobs] of byPack) {
    blobs.sort((a, b) => a.at.offset - b.at.offset);
    let run: typeof blobs = [];
    const flush = () => {
      if (run.length > 0) groups.push(rangeGroup(store, packKey(volumeName, pack), run, cipher, buffers, signal));
      run = [];
    };
    for (const blob of blobs) {
      const first = run[0];
      const last = run[run.length - 1];
      if (first && last && (blob.at.offset - (last.at.offset + last.at.length) > MAX_GAP || blob.at.offset + blob.at.length - first.at.offset > RANGE_LIMIT))
        flush();
      run.push(blob);
    }
    flush();
  }
  return { groups, inFlight: RANGES_IN_FLIGHT };
}

function rangeGroup(
  store: ObjectStore,
  key: string,
  run: Array<{ name: string; at: BlobLocation }>,
  cipher: BlobCipher | undefined,
  buffers: RangeBuffers,
  signal: AbortSignal | undefined,
): FetchGroup {
  const start = run[0]!.at.offset;
  const end = run[run.length - 1]!.at.offset + run[run.length - 1]!.at.length;
  return {
    names: run.map((b) => b.name),
    fetch: async () => {
      const buffer = buffers.take(end - start);
      let bytes: Buffer | undefined;
      try {
        bytes = await store.getRange(key, start, end - start, buffer, { signal });
        if (!bytes) throw new ConvoyError('NOT_FOUND', `pack ${key} is missing from ${store.url}`, { details: { key } });
        if (bytes.length !== end - start) throw corruptPack(key, `it ends at byte ${start + bytes.length}, before its blobs do (${end}): cut short`);
      } catch (err) {
        buffers.give(buffer);
        throw err;
      }
      const range = bytes;
      // Blobs of the shared buffer are read in place. A store that answers with a buffer of its
      // own (S3 joins a response's chunks) gives each blob a copy: a view of unshared memory would
      // carry the whole range to the block worker that opens it.
      const inPlace = range.buffer instanceof SharedArrayBuffer;
      return {
        blocks: run.map(({ name, at }) => ({
          name,
          format: { compression: at.compression },
          stored: () => {
            const blob = range.subarray(at.offset - start, at.offset - start + at.length);
            if (cipher) return cipher.open(name, blob);
            return inPlace ? blob : Buffer.from(blob);
          },
        })),
        release: () => buffers.give(buffer),
      };
    },
  };
}
