/**
 * A separate process running one `standby sync` through a VolumeManager (image driver, vfs
 * store, standby state in a directory), for the kill -9 tests (standby-crash.test.ts bundles it
 * with esbuild). argv[2] is a JSON `StandbyJob`; the result goes to stdout as one JSON line.
 * `dieAt` SIGKILLs the process itself at a chosen point of the sync: the nth block write (or
 * zero), just before the writer's fsync, or just after it (before the journal is cleared).
 */

import { createBackupEngine } from '@convoy/backup-store';
import { ObjectStoreRegistry, silentLogger, toConvoyError } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import fsStore from '@convoy/objectstore-fs';
import { VolumeManager } from '@convoy/volume-service';
import { imageDriver } from './image-driver.js';

export interface StandbyJob {
  images: string;
  standbyDir: string;
  volume: string;
  backupUrl: string;
  dieAt?: { write: number } | 'before-fsync' | 'after-fsync';
}

const job = JSON.parse(process.argv[2] ?? '') as StandbyJob;
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
let writes = 0;
const source = await ImageSource.open(job.images);
const driver = imageDriver(source, {
  beforeWrite: () => {
    writes += 1;
    if (typeof job.dieAt === 'object' && writes === job.dieAt.write) die();
  },
  beforeClose: () => {
    if (job.dieAt === 'before-fsync') die();
  },
  afterClose: () => {
    if (job.dieAt === 'after-fsync') die();
  },
});
const stores = new ObjectStoreRegistry();
stores.register(fsStore);
const manager = new VolumeManager({
  drivers: [driver],
  stores,
  engine: createBackupEngine({ concurrency: 1, lock: { durationMs: 800, refreshMs: 250, intentWaitMs: 300 } }),
  owner: `standby-child:${process.pid}`,
  log: silentLogger,
  standbyDir: job.standbyDir,
});
try {
  await manager.open();
  const result = await manager.syncStandby(job.volume, { backupUrl: job.backupUrl });
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: toConvoyError(err).toJSON() })}\n`);
} finally {
  await manager.close();
}
