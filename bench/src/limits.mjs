import path from 'node:path';
import { bundleChild } from './bundle.mjs';
import { BLOCK, PATTERNS } from './dataset.mjs';
import { warmFile } from './files.mjs';
import { measure, runChecked } from './measure.mjs';

/**
 * Measures the machine's per-core rates for each pipeline stage and each case's ideal workload
 * (limits-process.ts), pinned to one core, on the same images as the tools.
 */
export async function measureLimits({ dataset, bundleDir, scratchDir, restoreImage }) {
  const entry = await bundleChild(path.join(import.meta.dirname, 'limits-process.ts'), path.join(bundleDir, 'limits-process.mjs'));
  const images = Object.fromEntries(Object.entries(dataset.images).map(([name, img]) => [name, img.path]));
  const buf = Buffer.allocUnsafe(8 << 20);
  for (const file of Object.values(images)) warmFile(file, buf);
  const input = {
    blockSize: BLOCK,
    images,
    base: 'base',
    changes: Object.fromEntries(PATTERNS.map((p) => [p.name, dataset.patterns[p.name].changedExtents])),
    restoreImage,
    scratchDir,
  };
  const m = await measure(['taskset', '-c', '0', process.execPath, entry, JSON.stringify(input)]);
  const limits = JSON.parse(m.stdout);
  Object.assign(limits.bytesPerSecond, await lz4Ceiling(images.base));
  return limits;
}

/**
 * lz4 itself on one core, in 2 MiB blocks (`lz4 -b1 -B2097152`): the machine's limit for that
 * stage, whatever codec binding the engine uses (baselines.md §3.3's C ceiling).
 */
async function lz4Ceiling(file) {
  const { stdout, stderr } = await runChecked('taskset', ['-c', '0', 'lz4', '-b1', '-B2097152', '-i1', file]);
  const rates = `${stdout}${stderr}`.match(/([\d.]+) MB\/s ,\s*([\d.]+) MB\/s/);
  if (!rates) throw new Error(`cannot read lz4's benchmark output:\n${stderr}`);
  return { lz4Compress: Number(rates[1]) * 1e6, lz4Decompress: Number(rates[2]) * 1e6 };
}

/**
 * The ideal pipeline's time for one case (baselines.md §5): every stage's single-core time at
 * the machine's rates (lz4 at its C speed, not at the binding's) added up and spread perfectly
 * over the cores, but never faster than the writes, which are kernel work on the writing core.
 */
export function idealPipeline(workload, rates, cores) {
  const stageSeconds = {
    read: workload.read / rates.read,
    sha512: workload.hashed / rates.sha512,
    lz4Compress: workload.compressed / rates.lz4Compress,
    lz4Decompress: workload.decompressed / rates.lz4Decompress,
    blockFileWrite: workload.stored / rates.blockFileWrite,
    imageWrite: workload.written / rates.imageWrite,
  };
  const oneCoreSeconds = Object.values(stageSeconds).reduce((a, b) => a + b, 0);
  const writeSeconds = stageSeconds.blockFileWrite + stageSeconds.imageWrite;
  return { stageSeconds, oneCoreSeconds, seconds: Math.max(oneCoreSeconds / cores, writeSeconds) };
}

/** Block sizes the format could use: the engine's 2 MiB and smaller ones, for the P1 question. */
const CANDIDATE_BLOCK_SIZES = [64 * 1024, 256 * 1024, 1024 * 1024, BLOCK];

/** Bytes a block store would upload for each pattern at each candidate block size (amplification-process.ts). */
export async function measureAmplification({ dataset, bundleDir }) {
  const entry = await bundleChild(path.join(import.meta.dirname, 'amplification-process.ts'), path.join(bundleDir, 'amplification-process.mjs'));
  const input = {
    images: Object.fromEntries(PATTERNS.map((p) => [p.name, dataset.images[p.name].path])),
    writes: Object.fromEntries(PATTERNS.map((p) => [p.name, dataset.patterns[p.name].writes.map(({ offset, length }) => ({ offset, length }))])),
    blockSizes: CANDIDATE_BLOCK_SIZES,
  };
  const { stdout } = await runChecked(process.execPath, [entry, JSON.stringify(input)]);
  return JSON.parse(stdout);
}
