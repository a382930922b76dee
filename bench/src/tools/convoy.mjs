import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dirStoreUsage } from '../files.mjs';
import { runChecked } from '../measure.mjs';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../s3-server.mjs';

const VOLUME = 'benchvol';

/**
 * Image sources for Convoy, built once per bench (untimed): a base source (the volume imported
 * from the base image, snapshot `base`), and per change pattern a copy of it with the pattern's
 * writes and their snapshot. The copies keep the very same `base` snapshot (name, creation
 * time, bytes), so each incremental diffs against the snapshot the full backup read, as the
 * peers' incrementals start from the same base.
 */
export async function prepareConvoySources({ entry, dataset, dir, patterns }) {
  const run = (command) => runChecked(process.execPath, [entry, JSON.stringify(command)]);
  const baseDir = path.join(dir, 'base');
  mkdirSync(baseDir, { recursive: true });
  await run({ op: 'import', dir: baseDir, volume: VOLUME, baseImage: dataset.images.base.path });
  const sources = { base: baseDir };
  for (const pattern of patterns) {
    const sourceDir = path.join(dir, pattern.name);
    await runChecked('cp', ['-a', '--', baseDir, sourceDir]);
    const writes = dataset.patterns[pattern.name].writes.map(({ offset, length }) => ({ offset, length }));
    await run({ op: 'change', dir: sourceDir, volume: VOLUME, pattern: { name: pattern.name, image: dataset.images[pattern.name].path, writes } });
    sources[pattern.name] = sourceDir;
  }
  return sources;
}

/**
 * One more full backup into a fresh store under `node --cpu-prof` (not one of the measured
 * runs: the profiler slows it), for BENCHMARKS.md's "where the time goes".
 */
export async function profileConvoyFull({ entry, sources, dir, settings = {} }) {
  const storeDir = path.join(dir, 'store');
  const profileDir = path.join(dir, 'profile');
  mkdirSync(storeDir, { recursive: true });
  const command = { op: 'backup', dir: sources.base, storeUrl: `vfs://${storeDir}`, volume: VOLUME, snapshot: 'base', ...settings };
  await runChecked(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, entry, JSON.stringify(command)]);
  return profileDir;
}

/** The same cases with client-side encryption (AES-256-GCM, HMAC block names): its cost as a ratio to `convoy`. */
export const convoyEncrypted = (args) => convoy({ ...args, encrypt: true });

/** Encrypted ÷ unencrypted wall time per store and case, for the log and results.json. */
export function encryptionCost(summary) {
  return summary
    .filter((r) => r.tool === 'convoy-encrypted')
    .flatMap((enc) => {
      const plain = summary.find((r) => r.tool === 'convoy' && r.store === enc.store && r.case === enc.case);
      return plain
        ? [{ store: enc.store, case: enc.case, wallRatio: enc.wallSeconds.median / plain.wallSeconds.median, cpuRatio: enc.cpuSeconds / plain.cpuSeconds }]
        : [];
    });
}

/**
 * Convoy: the backup engine with the image source (delta-block mode, changed extents given as a
 * thin pool reports them), in a child process, into a vfs:// directory store or the bench's S3.
 */
export function convoy({ store: storeName, root, entry, sources, s3, dataset, settings = {}, encrypt = false }) {
  const storeDir = path.join(root, 'store');
  // Over https like restic (the same TLS work on both sides), trusting the bench's certificate.
  const store = s3
    ? {
        storeUrl: `s3://${s3.bucket}@us-east-1/convoy`,
        endpoint: s3.httpsEndpoint,
        env: { ...process.env, AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY, NODE_EXTRA_CA_CERTS: s3.certFile },
      }
    : { storeUrl: `vfs://${storeDir}`, env: process.env };
  const node = (command) => ({
    argv: [process.execPath, entry, JSON.stringify({ ...command, storeUrl: store.storeUrl, endpoint: store.endpoint, encrypt })],
    env: store.env,
  });
  // Convoy needs no repository set-up: a store is a directory (or a bucket) that exists.
  mkdirSync(storeDir, { recursive: true });
  return {
    name: encrypt ? 'convoy-encrypted' : 'convoy',
    store: storeName,
    stateDirs: s3 ? [s3.bucketDir] : [storeDir],
    backup: (image) => node({ op: 'backup', dir: sources[image], volume: VOLUME, snapshot: image, ...settings }),
    restore: (image, target) => node({ op: 'restore', dir: target, volume: VOLUME, snapshot: image, restoredVolume: 'restored' }),
    restoredFile: (target) => path.join(target, 'volumes', 'restored.img'),
    storeUsage: () => (s3 ? s3.bucketUsage() : dirStoreUsage(storeDir)),
    parseReport: (stdout, caseName) => {
      const report = JSON.parse(stdout);
      // The pattern's changed 2 MiB extents, each read as whole blocks of the volume's size.
      const extents = dataset.patterns[caseName.replace(/^incr-/, '')]?.changedBlocks;
      const changed = extents * ((2 * 1024 * 1024) / (settings.blockSize ?? 2 * 1024 * 1024));
      // Not a time assertion: a check that the bench measures what it says it does.
      if (caseName.startsWith('incr-') && report.blocksRead !== changed) {
        throw new Error(
          `Convoy's ${caseName} read ${report.blocksRead} blocks where ${changed} lie in the changed extents: it did not take the changed-block path`,
        );
      }
      return { ...report, storeRequests: Object.values(report.storeStats).reduce((a, b) => a + b, 0) };
    },
  };
}
