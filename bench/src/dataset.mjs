import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Keystream, Prng } from './random.mjs';
import { TextSource } from './text.mjs';

export const KiB = 1024;
export const MiB = 1024 * KiB;
/** Convoy's store block: the unit its incremental backups and CBT extents are counted in. */
export const BLOCK = 2 * MiB;
const RUN = MiB;
const ALIGN = 4 * KiB;
/** R = incompressible, Z = zeros, T = text: 50/25/25 % per 16 MiB, every 2 MiB block kind occurs. */
const CYCLE = 'RRZZTTRZRTRRZTRR';
/** Bump when the generator's output changes, so cached images are rebuilt. */
const GENERATOR_VERSION = 1;

export const PATTERNS = [
  { name: 'p1', title: 'scattered 64 KiB writes', seed: 101 },
  { name: 'p2', title: '1 MiB writes', seed: 202 },
  { name: 'p3', title: 'one contiguous region', seed: 303 },
];

/** Everything that determines the images; a cached dataset is reused only if this matches. */
export function datasetSpec(size) {
  const cycleBytes = CYCLE.length * RUN;
  if (!Number.isInteger(size) || size < cycleBytes || size % cycleBytes !== 0) {
    throw new Error(`bench image size must be a positive multiple of ${cycleBytes / MiB} MiB, got ${size}`);
  }
  return { generator: GENERATOR_VERSION, size, run: RUN, cycle: CYCLE, baseSeed: 20251127, changedFraction: 0.05, patterns: PATTERNS };
}

/** The writes of one pattern: non-overlapping, 4 KiB aligned, each 5 % of the image in total. */
function patternWrites(pattern, size, prng) {
  const budget = size * 0.05;
  if (pattern.name === 'p3') {
    const length = Math.floor(budget / ALIGN) * ALIGN;
    const start = prng.below((size - length) / ALIGN + 1) * ALIGN;
    const writes = [];
    for (let at = start; at < start + length; at += RUN) writes.push({ offset: at, length: Math.min(RUN, start + length - at) });
    return writes;
  }
  const length = pattern.name === 'p1' ? 64 * KiB : MiB;
  const count = Math.floor(budget / length);
  const slots = (size - length) / ALIGN + 1;
  const offsets = [];
  while (offsets.length < count) {
    const offset = prng.below(slots) * ALIGN;
    if (offsets.every((o) => offset + length <= o || o + length <= offset)) offsets.push(offset);
  }
  return offsets.sort((a, b) => a - b).map((offset) => ({ offset, length }));
}

/** The 2 MiB-aligned extents covering `writes`, merged: what a thin pool with 2 MiB blocks reports. */
export function changedExtents(writes) {
  const extents = [];
  for (const { offset, length } of writes) {
    const start = Math.floor(offset / BLOCK) * BLOCK;
    const end = Math.ceil((offset + length) / BLOCK) * BLOCK;
    const last = extents.at(-1);
    if (last && start <= last.offset + last.length) last.length = Math.max(last.length, end - last.offset);
    else extents.push({ offset: start, length: end - start });
  }
  return extents;
}

function writeBase(file, spec) {
  const keystream = new Keystream(`base:${spec.baseSeed}`);
  const text = new TextSource(`base:${spec.baseSeed}`);
  const buf = Buffer.alloc(RUN);
  const fd = openSync(file, 'w');
  try {
    for (let run = 0; run < spec.size / RUN; run++) {
      const kind = CYCLE[run % CYCLE.length];
      if (kind === 'R') keystream.fill(buf);
      else if (kind === 'Z') buf.fill(0);
      else text.fill(buf, 0, RUN, `b${String(run).padStart(4, '0')}`);
      writeSync(fd, buf, 0, RUN, run * RUN);
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies base to `file` and applies the pattern; 2/3 of writes are random, 1/3 fresh text, never zeros. */
function writePattern(file, baseFile, pattern, spec) {
  const prng = new Prng(`pattern:${pattern.seed}`);
  const keystream = new Keystream(`pattern:${pattern.seed}`);
  const text = new TextSource(`pattern:${pattern.seed}`);
  const writes = patternWrites(pattern, spec.size, prng);
  const buf = Buffer.alloc(RUN);
  copyFileSync(baseFile, file);
  const fd = openSync(file, 'r+');
  try {
    writes.forEach((write, i) => {
      write.kind = prng.float() < 2 / 3 ? 'R' : 'T';
      if (write.kind === 'R') keystream.fill(buf, 0, write.length);
      else text.fill(buf, 0, write.length, `${pattern.name}w${String(i).padStart(4, '0')}`);
      writeSync(fd, buf, 0, write.length, write.offset);
    });
  } finally {
    closeSync(fd);
  }
  return writes;
}

export function sha256File(file, buf = Buffer.allocUnsafe(8 * MiB)) {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function imageNames() {
  return ['base', ...PATTERNS.map((p) => p.name)];
}

/** True when every image in the manifest is present and hashes as recorded. */
function verifyCached(dir, manifest, spec) {
  if (JSON.stringify(manifest.spec) !== JSON.stringify(spec)) return false;
  const buf = Buffer.allocUnsafe(8 * MiB);
  return imageNames().every((name) => {
    const file = path.join(dir, manifest.images[name].file);
    return existsSync(file) && sha256File(file, buf) === manifest.images[name].sha256;
  });
}

/**
 * Makes (or reuses, after checking every hash) the base image and one image per change
 * pattern in `dir`, and returns the manifest with absolute paths.
 */
export function prepareDataset(dir, size, log) {
  const spec = datasetSpec(size);
  const manifestFile = path.join(dir, 'manifest.json');
  mkdirSync(dir, { recursive: true });
  if (existsSync(manifestFile)) {
    const cached = JSON.parse(readFileSync(manifestFile, 'utf8'));
    log(`checking the cached ${size / MiB} MiB images in ${dir}`);
    if (verifyCached(dir, cached, spec)) return withPaths(dir, cached);
    log('cache does not match the generator or its hashes: regenerating');
  }
  rmSync(manifestFile, { force: true });
  const started = performance.now();
  log(`generating the ${size / MiB} MiB base image`);
  const baseFile = path.join(dir, 'base.img');
  writeBase(baseFile, spec);
  const patterns = {};
  for (const pattern of PATTERNS) {
    log(`generating ${pattern.name} (${pattern.title})`);
    const writes = writePattern(path.join(dir, `${pattern.name}.img`), baseFile, pattern, spec);
    const extents = changedExtents(writes);
    patterns[pattern.name] = {
      title: pattern.title,
      writes,
      bytesWritten: writes.reduce((sum, w) => sum + w.length, 0),
      changedExtents: extents,
      changedBlocks: extents.reduce((sum, e) => sum + e.length, 0) / BLOCK,
    };
  }
  const images = {};
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (const name of imageNames()) images[name] = { file: `${name}.img`, sha256: sha256File(path.join(dir, `${name}.img`), buf) };
  const manifest = { spec, images, patterns, generatedInSeconds: (performance.now() - started) / 1000 };
  writeFileSync(`${manifestFile}.tmp`, JSON.stringify(manifest, null, 1));
  renameSync(`${manifestFile}.tmp`, manifestFile);
  return withPaths(dir, manifest);
}

function withPaths(dir, manifest) {
  const images = Object.fromEntries(Object.entries(manifest.images).map(([name, img]) => [name, { ...img, path: path.join(dir, img.file) }]));
  return { ...manifest, dir, images };
}
