import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PATTERNS, sha256File } from './dataset.mjs';
import { DirSnapshot, warmFile, warmTree } from './files.mjs';
import { measureStep, runChecked } from './measure.mjs';

export const SOURCE_FILE = 'disk.img';

/** The case names in the order they run, each with the dataset image it backs up. */
export const CASES = [
  { name: 'full', title: 'full backup', image: 'base' },
  ...PATTERNS.map((p) => ({ name: `incr-${p.name}`, title: `incremental, ${p.title}`, image: p.name })),
  { name: 'restore', title: `restore of the newest backup (${PATTERNS.at(-1).name})`, image: PATTERNS.at(-1).name },
];

/**
 * Runs one tool through every case on the same data: init, full backup of the base image,
 * then each change pattern as an incremental from the same saved base state (repository and
 * cache copied back at the same paths), then a restore of the newest backup, verified
 * bit-exact. Every step is one measured child process.
 */
export async function runToolCases(tool, { dataset, sourceDir, workDir, s3, onStep }) {
  const buf = Buffer.allocUnsafe(8 << 20);
  const sourceFile = path.join(sourceDir, SOURCE_FILE);
  const records = [];

  const step = async (caseInfo, command, { counted = true } = {}) => {
    // Flush what set-up left dirty (a store copied back is hundreds of MB), so that no tool's
    // fsyncs wait for another's writeback; then bring the input into the page cache.
    await runChecked('sync', []);
    if (caseInfo.warm) caseInfo.warm();
    if (s3) await s3.resetRequests();
    const { record, stdout } = await measureStep({ tool: tool.name, store: tool.store, caseName: caseInfo.name, command, storeUsage: tool.storeUsage });
    if (s3) record.requests = await s3.requests();
    if (tool.parseReport) record.report = tool.parseReport(stdout, caseInfo.name);
    records.push(record);
    onStep(record, counted);
    return record;
  };

  const present = (image) => {
    rmSync(sourceFile, { force: true });
    // A new inode and mtime for each image, so restic and borg re-read the whole file, as
    // they would a volume image that changed in place.
    linkSync(dataset.images[image].path, sourceFile);
  };
  const warmImage = (image) => () => warmFile(dataset.images[image].path, buf);

  mkdirSync(sourceDir, { recursive: true });
  // Repository set-up (restic, borg) is measured too, but it is not one of the cases.
  if (tool.init) await step({ name: 'init' }, tool.init(), { counted: false });
  const [full, ...rest] = CASES;
  const restoreCase = rest.pop();
  present(full.image);
  await step({ ...full, warm: warmImage(full.image) }, tool.backup(full.image));

  const base = new DirSnapshot(tool.stateDirs, path.join(workDir, 'saved-base'));
  await base.save();
  for (const incremental of rest) {
    await base.restore();
    present(incremental.image);
    await step({ ...incremental, warm: warmImage(incremental.image) }, tool.backup(incremental.image));
  }
  base.discard();

  // The store now holds the full backup and the newest incremental.
  const target = path.join(workDir, 'restore-target');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const restored = await step(
    {
      ...restoreCase,
      warm: () => {
        for (const d of tool.stateDirs) warmTree(d, buf);
      },
    },
    tool.restore(restoreCase.image, target),
  );
  const file = tool.restoredFile(target, SOURCE_FILE);
  restored.fsyncSeconds = timeFsync(file);
  restored.verified = sha256File(file, buf) === dataset.images[restoreCase.image].sha256;
  rmSync(target, { recursive: true, force: true });
  if (!restored.verified) throw new Error(`${tool.name} (${tool.store}) restored ${restoreCase.image} with the wrong content`);
  return records;
}

/** Makes the restored file durable; timed apart so restores that fsync and those that do not compare. */
function timeFsync(file) {
  const started = performance.now();
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return (performance.now() - started) / 1000;
}
