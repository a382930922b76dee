import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from './dataset.mjs';
import { dirStoreUsage } from './files.mjs';
import { measureStep, runChecked } from './measure.mjs';

const VOLUME = 'benchvol';
const MiB = 2 ** 20;

/**
 * The standby-sync case (issue 21): for each change pattern, a standby holding the base backup
 * is synced to the pattern's incremental (engine.syncStandby: only the blocks whose names differ
 * between the two block maps are fetched and written), next to a full restore of that same
 * incremental, both measured as child processes in the same run on a local directory store.
 * Each record says the bytes the sync read from the store and wrote into the volume, and the
 * pattern's changed blocks' bytes (its changed 2 MiB extents, as the pool would report them);
 * the synced volume is checked bit-exact against the pattern's image.
 */
export async function runStandbySyncCases({ entry, sources, dataset, dir, patterns, onStep }) {
  const records = [];
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (const pattern of patterns) {
    const root = path.join(dir, pattern.name);
    rmSync(root, { recursive: true, force: true });
    const storeDir = path.join(root, 'store');
    mkdirSync(storeDir, { recursive: true });
    const storeUrl = `vfs://${storeDir}`;
    const node = (command) => ({ argv: [process.execPath, entry, JSON.stringify({ ...command, storeUrl })] });
    const untimed = (command) => runChecked(process.execPath, node(command).argv.slice(1));
    // The store holds the full backup of the base and the pattern's incremental (untimed).
    await untimed({ op: 'backup', dir: sources.base, volume: VOLUME, snapshot: 'base' });
    await untimed({ op: 'backup', dir: sources[pattern.name], volume: VOLUME, snapshot: pattern.name });
    // The standby: a restore of the base backup on "another host" (its own image directory).
    const standbyDir = path.join(root, 'standby');
    await untimed({ op: 'restore', dir: standbyDir, volume: VOLUME, snapshot: 'base', restoredVolume: 'standby' });
    await runChecked('sync', []);

    const measured = async (caseName, command) => {
      const { record, stdout } = await measureStep({
        tool: 'convoy',
        store: 'local',
        caseName,
        command: node(command),
        storeUsage: () => dirStoreUsage(storeDir),
      });
      record.report = JSON.parse(stdout);
      records.push(record);
      onStep(record);
      return record;
    };
    await measured(`standby-restore-${pattern.name}`, {
      op: 'restore',
      dir: path.join(root, 'full'),
      volume: VOLUME,
      snapshot: pattern.name,
      restoredVolume: 'full',
    });
    const sync = await measured(`standby-sync-${pattern.name}`, {
      op: 'standby-sync',
      dir: standbyDir,
      volume: VOLUME,
      from: 'base',
      to: pattern.name,
      standbyVolume: 'standby',
    });
    sync.changedBytes = dataset.patterns[pattern.name].changedBlocks * 2 * MiB;
    if (sha256File(sync.report.file, buf) !== dataset.images[pattern.name].sha256)
      throw new Error(`the standby synced to ${pattern.name} does not hold the pattern's image`);
    sync.verified = true;
    rmSync(root, { recursive: true, force: true });
  }
  return records;
}
