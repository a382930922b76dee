// The machine's limits for the bench's work, measured in the same run on ONE core (the parent
// pins this process with `taskset -c 0`), one call at a time: page-cache read bandwidth of the
// image, the engine's own SHA-512 block checksum, lz4 compression and decompression through the
// engine's codec, and the write paths a backup and a restore end in. It also counts each case's
// ideal workload: the bytes a perfect 2 MiB block pipeline must read, hash, compress,
// decompress, store and write.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { compressBlock, decompressBlock } from '../../packages/backup-store/src/backup/block-codec.js';
import { blockChecksum } from '../../packages/backup-store/src/backup/checksum.js';

interface Input {
  blockSize: number;
  images: Record<string, string>;
  base: string;
  /** Pattern name → the 2 MiB-aligned changed extents a thin pool would report. */
  changes: Record<string, { offset: number; length: number }[]>;
  restoreImage: string;
  scratchDir: string;
}

type StageName = 'read' | 'sha512' | 'codecCompress' | 'codecDecompress' | 'zstdCompress' | 'zstdDecompress' | 'blockFileWrite' | 'imageWrite';
type Sample = Partial<Record<StageName, { bytes: number; seconds: number }>>;

/** Bytes through each stage of one case; the ideal pipeline's time follows from these and the rates. */
interface Workload {
  read: number;
  hashed: number;
  compressed: number;
  decompressed: number;
  stored: number;
  written: number;
  newBlocks: number;
}

const emptyWorkload = (): Workload => ({ read: 0, hashed: 0, compressed: 0, decompressed: 0, stored: 0, written: 0, newBlocks: 0 });

const input = JSON.parse(process.argv[2] ?? '') as Input;
const { blockSize } = input;
const block = Buffer.allocUnsafeSlow(blockSize);
// An lz4 frame of an incompressible block is a little larger than the block.
const body = Buffer.alloc(blockSize + 64 * 1024, 0x5a);

async function timed<T>(sample: Sample, stage: StageName, bytes: number, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  const s = (sample[stage] ??= { bytes: 0, seconds: 0 });
  s.seconds += (performance.now() - started) / 1000;
  s.bytes += bytes;
  return result;
}

function offsetsOf(extents: { offset: number; length: number }[]): number[] {
  return extents.flatMap((e) => Array.from({ length: e.length / blockSize }, (_, i) => e.offset + i * blockSize));
}

/**
 * A backup's compute over `offsets` of `file`: read, hash, and for blocks not in `known`,
 * compress, then decompress once to time the codec's inverse. Adds new blocks to `known`
 * with their compressed size.
 */
async function computePass(file: string, offsets: number[], known: Map<string, number>, sample: Sample): Promise<Workload> {
  const w = emptyWorkload();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    for (const offset of offsets) {
      const length = Math.min(blockSize, size - offset);
      await timed(sample, 'read', length, () => readSync(fd, block, 0, length, offset));
      const data = block.subarray(0, length);
      const checksum = await timed(sample, 'sha512', length, () => blockChecksum(data));
      w.read += length;
      w.hashed += length;
      if (known.has(checksum)) continue;
      const compressed = await timed(sample, 'codecCompress', length, () => compressBlock('lz4', data));
      await timed(sample, 'codecDecompress', length, () => decompressBlock('lz4', compressed, blockSize));
      // zstd through the same functions, for choosing the default (one block at a time, awaited).
      const zstd = await timed(sample, 'zstdCompress', length, () => compressBlock('zstd', data));
      await timed(sample, 'zstdDecompress', length, () => decompressBlock('zstd', zstd, blockSize));
      known.set(checksum, compressed.length);
      w.compressed += length;
      w.stored += compressed.length;
      w.newBlocks += 1;
      // Let the event loop turn, as the engine's I/O does: lz4-napi's output buffers are only
      // finalised (and their memory reused) then; without it every block gets fresh pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
  return w;
}

/** Publishes one block file as the fs store's durable atomic put does: temp file, fsync, rename, fsync the directory. */
function writeBlockFile(dir: string, name: string, length: number): void {
  const sub = path.join(dir, name.slice(0, 2), name.slice(2, 4));
  mkdirSync(sub, { recursive: true });
  const tmp = path.join(sub, `${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, body, 0, length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path.join(sub, `${name}.blk`));
  const dirFd = openSync(sub, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Writes `bytes` into a new file 2 MiB at a time, then fsyncs: a restore's write path. */
function writeImage(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  try {
    for (let at = 0; at < bytes; at += blockSize) writeSync(fd, block, 0, Math.min(blockSize, bytes - at), at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// 1. The workload of every case, which is also the first timing sample of the compute stages.
const first: Sample = {};
const baseFile = input.images[input.base]!;
const imageSize = statSync(baseFile).size;
const allOffsets = Array.from({ length: Math.ceil(imageSize / blockSize) }, (_, i) => i * blockSize);
const baseKnown = new Map<string, number>();
const workloads: Record<string, Workload> = { full: await computePass(baseFile, allOffsets, baseKnown, first) };
const knownAfter: Record<string, Map<string, number>> = {};
for (const [pattern, extents] of Object.entries(input.changes)) {
  const known = new Map(baseKnown);
  workloads[`incr-${pattern}`] = await computePass(input.images[pattern]!, offsetsOf(extents), known, first);
  knownAfter[pattern] = known;
}
// A restore fetches each distinct block of the map once, decompresses and verifies it (SHA-512),
// and writes it at every offset that uses it: the whole image.
const restoreKnown = knownAfter[input.restoreImage]!;
const restoreBlocks = new Set<string>();
{
  const restoreFd = openSync(input.images[input.restoreImage]!, 'r');
  try {
    for (const offset of allOffsets) {
      const n = readSync(restoreFd, block, 0, blockSize, offset);
      restoreBlocks.add(blockChecksum(block.subarray(0, n)));
    }
  } finally {
    closeSync(restoreFd);
  }
}
const restoreStored = [...restoreBlocks].reduce((sum, c) => sum + restoreKnown.get(c)!, 0);
const restoreDistinctBytes = restoreBlocks.size * blockSize;
workloads.restore = { ...emptyWorkload(), read: restoreStored, decompressed: restoreDistinctBytes, hashed: restoreDistinctBytes, written: imageSize };

// 2. A second sample of the compute stages over the base image; each rate is the better one.
const second: Sample = {};
await computePass(baseFile, allOffsets, new Map(), second);

// 3. The write paths, apart from the compute so that writeback does not slow the hashing: the
//    full backup's blocks as files at their compressed sizes, then the restored image.
const writes: Sample = {};
const storeDir = path.join(input.scratchDir, 'blocks');
for (const [checksum, length] of baseKnown) await timed(writes, 'blockFileWrite', length, () => writeBlockFile(storeDir, checksum, length));
await timed(writes, 'imageWrite', imageSize, () => writeImage(path.join(input.scratchDir, 'restored.img'), imageSize));
rmSync(input.scratchDir, { recursive: true, force: true });

const stageNames: StageName[] = ['read', 'sha512', 'codecCompress', 'codecDecompress', 'zstdCompress', 'zstdDecompress', 'blockFileWrite', 'imageWrite'];
const rates = Object.fromEntries(
  stageNames.map((name) => {
    const best = Math.max(...[first, second, writes].map((s) => (s[name] ? s[name]!.bytes / s[name]!.seconds : 0)));
    return [name, best];
  }),
);
process.stdout.write(JSON.stringify({ bytesPerSecond: rates, workloads, blocks: allOffsets.length, uniqueBaseBlocks: baseKnown.size }));
