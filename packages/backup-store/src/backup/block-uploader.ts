import type { BlockReader, ObjectStore, ProgressListener } from '@convoy/core';
import type { BlockFormat, KeyedNaming } from './block-transform.js';
import { type BlockWorkers, sealRoom } from './block-workers.js';
import type { BufferPool } from './buffer-pool.js';
import { blockKey } from './layout.js';
import type { PackWriter } from './pack-writer.js';
import type { BlockMapping } from './records.js';
import { runWorkers } from './workers.js';

export interface UploadBlocksParams {
  reader: BlockReader;
  offsets: readonly number[];
  /** Bytes the offsets cover, for progress. */
  totalBytes: number;
  blockSize: number;
  format: BlockFormat;
  /** Names the volume's store already holds (the previous backup's map, or the pack index); grows as we upload. */
  known: Set<string>;
  /** Where a new block goes: one object of its own (v0.5 layout) or the open pack. */
  sink: BlockSink;
  pool: BufferPool;
  workers: BlockWorkers;
  concurrency: number;
  /** A block's name from its bytes; keyed for encrypted volumes. Default: Convoy's checksum. */
  nameBlock?: KeyedNaming | undefined;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/**
 * Stores one new block; `plain` is reused once this resolves. `slot` is the shared buffer `plain`
 * lies at the start of, `sealRoom(blockSize)` long: the sink may seal the block into it, over
 * `plain`. Resolves to the bytes stored (0: it was there).
 */
export interface BlockSink {
  /** `slot`: the pipeline's shared buffer that holds `plain` (a backup's); without it (a copy's block) the codec output is a new buffer. */
  store(name: string, plain: Buffer, slot?: Buffer): Promise<number>;
}

/**
 * The v0.5 layout's sink: one object per block. `headBeforePut` is for a store that may hold
 * blocks `known` does not list (no previous map, yet a non-empty block tree): a HEAD before each
 * upload then saves re-sending what is there. Otherwise new blocks are PUT straight away: a
 * block's name is its content, so a PUT over one another host stored meanwhile writes the same
 * bytes again, harmlessly.
 */
export function blockObjectSink(p: { store: ObjectStore; volumeName: string; workers: BlockWorkers; format: BlockFormat; headBeforePut: boolean }): BlockSink {
  return {
    store: async (name, plain) => {
      const key = blockKey(p.volumeName, name);
      if (p.headBeforePut && (await p.store.head(key))) return 0;
      const body = await p.workers.seal(plain, p.format);
      await p.store.put(key, body);
      return body.length;
    },
  };
}

/**
 * The pack layout's sink: compressed on the block workers into the block's own slot (over its
 * plaintext, which is not read again), then copied into the open pack. So the engine's thread
 * receives no codec output and collects no garbage for it, and no buffer is added per block:
 * what a backup holds is the pipeline's slots and the packs (pack-writer.ts).
 */
export function packSink(p: { writer: PackWriter; workers: BlockWorkers; format: BlockFormat }): BlockSink {
  return {
    store: async (name, plain, slot) => p.writer.add(name, await p.workers.seal(plain, p.format, slot), plain.length, p.format.compression),
  };
}

export interface UploadBlocksResult {
  /** One mapping per offset, ascending. */
  mappings: BlockMapping[];
  uploadedBlocks: number;
  uploadedBytes: number;
}

/**
 * The backup pipeline: read → name → already stored? → seal → sink (put, or into a pack), for each block, with
 * `concurrency` blocks in flight. Naming (SHA-512) and sealing (compression) run on the block
 * workers' threads; reads and puts on libuv's pool; this thread only moves buffers. Each
 * pipeline slot owns one pooled buffer for the whole run, so memory is `concurrency` blocks
 * plus their sealed copies whatever the volume's size (and the block workers' own, see
 * block-workers.ts).
 *
 * A block is uploaded at most once per run: known names are skipped without a request, and a
 * block whose upload is already in flight is awaited, not repeated.
 */
export async function uploadBlocks(p: UploadBlocksParams): Promise<UploadBlocksResult> {
  const mappings: BlockMapping[] = [];
  const inFlight = new Map<string, Promise<void>>();
  const buffers: Buffer[] = [];
  let uploadedBlocks = 0;
  let uploadedBytes = 0;
  let doneBytes = 0;

  const ensureStored = async (name: string, data: Buffer, slot: Buffer): Promise<void> => {
    const stored = await p.sink.store(name, data, slot);
    if (stored === 0) return;
    uploadedBlocks += 1;
    uploadedBytes += stored;
  };

  try {
    await runWorkers(
      p.offsets,
      p.concurrency,
      async (offset, slot) => {
        // Room for the block sealed, too: a sink may seal it in place (packSink).
        const buffer = (buffers[slot] ??= p.pool.take(sealRoom(p.blockSize)));
        const length = Math.min(p.blockSize, p.reader.size - offset);
        const data = buffer.subarray(0, length);
        await p.reader.read(buffer, offset, length);
        const name = await p.workers.name(data, p.format, p.nameBlock);
        mappings.push({ Offset: offset, BlockChecksum: name });
        if (!p.known.has(name)) {
          let upload = inFlight.get(name);
          if (upload) {
            await upload;
          } else {
            upload = ensureStored(name, data, buffer);
            inFlight.set(name, upload);
            try {
              await upload;
              p.known.add(name);
            } finally {
              inFlight.delete(name);
            }
          }
        }
        doneBytes += length;
        p.onProgress?.({ phase: 'backup', doneBytes, totalBytes: p.totalBytes });
      },
      p.signal,
    );
  } finally {
    for (const buffer of buffers) p.pool.give(buffer);
  }
  return { mappings: mappings.sort((a, b) => a.Offset - b.Offset), uploadedBlocks, uploadedBytes };
}
