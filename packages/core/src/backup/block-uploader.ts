import type { BlockReader } from '../driver.js';
import type { CompressionMethod, ProgressListener } from '../model.js';
import type { ObjectStore } from '../objectstore.js';
import { compressBlock } from './block-codec.js';
import type { BufferPool } from './buffer-pool.js';
import { blockChecksum } from './checksum.js';
import { blockKey } from './layout.js';
import type { BlockMapping } from './records.js';
import { runWorkers } from './workers.js';

export interface UploadBlocksParams {
  store: ObjectStore;
  volumeName: string;
  reader: BlockReader;
  offsets: readonly number[];
  /** Bytes the offsets cover, for progress. */
  totalBytes: number;
  blockSize: number;
  compression: CompressionMethod;
  /** Checksums the volume's store already holds (the previous backup's map); grows as we upload. */
  known: Set<string>;
  /** False when the volume has no blocks in the store yet: then no block needs a HEAD. */
  storeMayHoldOthers: boolean;
  pool: BufferPool;
  concurrency: number;
  /** A block's name from its bytes; keyed for encrypted volumes. Default: Convoy's checksum. */
  nameBlock?: (data: Buffer) => string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface UploadBlocksResult {
  /** One mapping per offset, ascending. */
  mappings: BlockMapping[];
  uploadedBlocks: number;
  uploadedBytes: number;
}

/**
 * The backup pipeline: read → SHA-512 → already stored? → compress → put, for each block, with
 * `concurrency` blocks in flight. Each worker owns one pooled buffer for its whole run, so memory
 * is `concurrency` blocks plus their compressed copies whatever the volume's size. Hashing runs
 * on the main thread while reads, compression and writes of other blocks run on libuv's pool.
 *
 * A block is uploaded at most once per store: known checksums are skipped without a request,
 * others cost one HEAD (none on a volume's first backup, when its block tree is empty), and a
 * block whose upload is already in flight is awaited, not repeated.
 */
export async function uploadBlocks(p: UploadBlocksParams): Promise<UploadBlocksResult> {
  const mappings: BlockMapping[] = [];
  const inFlight = new Map<string, Promise<void>>();
  const buffers: Buffer[] = [];
  let uploadedBlocks = 0;
  let uploadedBytes = 0;
  let doneBytes = 0;

  const ensureStored = async (checksum: string, data: Buffer): Promise<void> => {
    const key = blockKey(p.volumeName, checksum);
    if (p.storeMayHoldOthers && (await p.store.head(key))) return;
    const body = await compressBlock(p.compression, data);
    await p.store.put(key, body);
    uploadedBlocks += 1;
    uploadedBytes += body.length;
  };

  try {
    await runWorkers(
      p.offsets,
      p.concurrency,
      async (offset, worker) => {
        const buffer = (buffers[worker] ??= p.pool.take());
        const length = Math.min(p.blockSize, p.reader.size - offset);
        const data = buffer.subarray(0, length);
        await p.reader.read(buffer, offset, length);
        const checksum = (p.nameBlock ?? blockChecksum)(data);
        mappings.push({ Offset: offset, BlockChecksum: checksum });
        if (!p.known.has(checksum)) {
          let upload = inFlight.get(checksum);
          if (upload) {
            await upload;
          } else {
            upload = ensureStored(checksum, data);
            inFlight.set(checksum, upload);
            try {
              await upload;
              p.known.add(checksum);
            } finally {
              inFlight.delete(checksum);
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
