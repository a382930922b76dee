/**
 * A separate process running one `standby sync`, or one `create --backup URL --standby`, through
 * a VolumeManager (image driver, vfs store, standby state in a directory), for the kill -9 tests
 * (standby.test.ts and standby-create-kill.test.ts bundle it with esbuild). argv[2] is a JSON
 * `StandbyJob`; the result goes to stdout as one JSON line. `dieAt` SIGKILLs the process itself at
 * a chosen point: the nth block write (or zero); for a sync just before the writer's fsync or just
 * after it (before the journal is cleared); for a create just before the restore's commit or just
 * after it (before the standby record says the create is done).
 */

import { createBackupEngine } from '@convoy/backup-store';
import { ObjectStoreRegistry, silentLogger, toConvoyError } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import fsStore from '@convoy/objectstore-fs';
import { VolumeManager } from '@convoy/volume-service';
import { imageDriver } from './image-driver.js';

export interface StandbyJob {
  /** `sync` (the default) syncs standby `volume` to `backupUrl`; `create` restores `backupUrl` as the new standby `volume`. */
  op?: 'sync' | 'create';
  images: string;
  standbyDir: string;
  volume: string;
  backupUrl: string;
  dieAt?: { write: number } | 'before-fsync' | 'after-fsync' | 'before-commit' | 'after-commit';
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
  beforeCommit: () => {
    if (job.dieAt === 'before-commit') die();
  },
  afterCommit: () => {
    if (job.dieAt === 'after-commit') die();
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
  const result =
    job.op === 'create'
      ? await manager.createVolume({ name: job.volume, backupUrl: job.backupUrl, standby: true })
      : await manager.syncStandby(job.volume, { backupUrl: job.backupUrl });
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: toConvoyError(err).toJSON() })}\n`);
} finally {
  await manager.close();
}
