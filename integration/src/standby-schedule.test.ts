import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { BLOCK_SIZE } from '@convoy/backup-store/testing';
import { ObjectStoreRegistry, silentLogger } from '@convoy/core';
import { expectCode, ImageSource, tempDirFactory } from '@convoy/core/testing';
import fsStore from '@convoy/objectstore-fs';
import { Scheduler, VolumeManager } from '@convoy/volume-service';
import { FakeClock } from '@convoy/volume-service/testing';
import { describe, expect, it } from 'vitest';
import { imageDriver } from '../test/image-driver.js';

/**
 * `schedule create --standby VOL --follow STORE` (issue 21 item 1): a source host backs up on
 * its schedule into a shared directory store, a standby host's follow schedule syncs its
 * standby to the newest backup at each run, the schedule survives a restart of the scheduler,
 * and schedules that cannot follow are refused at creation.
 */

const freshDir = await tempDirFactory('convoy-standby-schedule-');
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const HOUR = 3_600_000;

async function host(dir: string, clock: FakeClock) {
  const images = path.join(dir, 'images');
  const source = await ImageSource.open(images);
  const stores = new ObjectStoreRegistry();
  stores.register(fsStore);
  const manager = new VolumeManager({
    drivers: [imageDriver(source)],
    stores,
    engine: createBackupEngine(),
    owner: `host:${dir}`,
    log: silentLogger,
    standbyDir: path.join(dir, 'standby'),
  });
  await manager.open();
  const file = path.join(dir, 'schedules.json');
  const scheduler = async () => {
    const s = new Scheduler({ file, service: manager, stores: manager.storeOperations, log: silentLogger, clock, random: () => 0.5 });
    await s.start();
    return s;
  };
  return { images, source, manager, scheduler };
}

async function step(clock: FakeClock, schedulers: Scheduler[], ms: number): Promise<void> {
  clock.advance(ms);
  for (const s of schedulers) await s.settled();
}

describe('a follow schedule keeps a standby on a second host in sync', () => {
  it('syncs to each new backup of the source, survives a restart, and fails by name once the standby is activated', async () => {
    const base = await freshDir();
    const storeUrl = `vfs://${path.join(base, 'store')}`;
    await fs.mkdir(path.join(base, 'store'));
    const clock = new FakeClock(T0);
    const a = await host(path.join(base, 'a'), clock);
    const b = await host(path.join(base, 'b'), clock);
    await a.source.createVolume('db', 6 * BLOCK_SIZE);
    for (let i = 0; i < 6; i++) await a.source.writeVolume('db', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    const sourceScheduler = await a.scheduler();
    await sourceScheduler.createSchedule({ name: 'db-hourly', volume: 'db', every: '1h', backup: { dest: storeUrl } });
    await step(clock, [sourceScheduler], HOUR);
    const [first] = await a.manager.storeOperations.listBackups(storeUrl, { volumeName: 'db' });
    await b.manager.createVolume({ name: 'db-dr', backupUrl: first!.url, standby: true });

    // Half an hour after the source's runs, the standby follows.
    await step(clock, [sourceScheduler], HOUR / 2);
    let standbyScheduler = await b.scheduler();
    await standbyScheduler.createSchedule({ name: 'db-follow', volume: 'db-dr', every: '1h', follow: { store: storeUrl } });
    await a.source.writeVolume('db', 3 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await step(clock, [sourceScheduler, standbyScheduler], HOUR / 2);
    await step(clock, [sourceScheduler, standbyScheduler], HOUR / 2);
    const synced = (await standbyScheduler.getSchedule('db-follow')).lastRun;
    expect(synced).toMatchObject({ outcome: 'succeeded', standbySync: { from: first!.name, method: 'block-diff', bytesWritten: BLOCK_SIZE } });
    const newest = (await a.manager.storeOperations.listBackups(storeUrl, { volumeName: 'db' })).sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    expect(synced?.standbySync?.to).toBe(newest.name);
    const snapshot = newest.snapshotName;
    const bImages = await ImageSource.open(b.images);
    expect((await fs.readFile(bImages.volumePath('db-dr'))).equals(await fs.readFile(a.source.snapshotPath(snapshot)))).toBe(true);

    // Restarted: the schedule is still a follow schedule; with nothing new, a run changes nothing.
    await standbyScheduler.stop();
    standbyScheduler = await b.scheduler();
    expect((await standbyScheduler.getSchedule('db-follow')).follow).toEqual({ store: storeUrl });
    await sourceScheduler.pauseSchedule('db-hourly');
    expect(await standbyScheduler.runSchedule('db-follow')).toMatchObject({ outcome: 'succeeded', standbySync: { method: 'up to date', bytesWritten: 0 } });

    await b.manager.activateStandby('db-dr');
    const failed = await standbyScheduler.runSchedule('db-follow');
    expect(failed).toMatchObject({ outcome: 'failed', error: { message: expect.stringContaining('volume db-dr is not a standby volume') } });
    await standbyScheduler.stop();
    await sourceScheduler.stop();
    await a.manager.close();
    await b.manager.close();
  });

  it('refuses at creation a follow schedule of a volume that is no standby, of another store, or with a backup or retention', async () => {
    const base = await freshDir();
    const storeUrl = `vfs://${path.join(base, 'store')}`;
    await fs.mkdir(path.join(base, 'store'));
    const clock = new FakeClock(T0);
    const a = await host(path.join(base, 'a'), clock);
    await a.source.createVolume('db', BLOCK_SIZE);
    await a.manager.createSnapshot('db', 's1');
    const backup = await a.manager.createBackup({ snapshot: 's1', dest: storeUrl });
    await a.manager.createVolume({ name: 'db-dr', backupUrl: backup.url, standby: true });
    const scheduler = await a.scheduler();
    await expectCode(
      scheduler.createSchedule({ name: 'f1', volume: 'db', every: '1h', follow: { store: storeUrl } }),
      'INVALID_ARGUMENT',
      'volume db is not a standby volume',
    );
    await expectCode(
      scheduler.createSchedule({ name: 'f2', volume: 'db-dr', every: '1h', follow: { store: `vfs://${base}` } }),
      'INVALID_ARGUMENT',
      `follows store ${storeUrl}`,
    );
    await expectCode(
      scheduler.createSchedule({ name: 'f3', volume: 'db-dr', every: '1h', follow: { store: storeUrl }, backup: { dest: storeUrl } }),
      'INVALID_ARGUMENT',
      'cannot have --backup',
    );
    await expectCode(
      scheduler.createSchedule({ name: 'f4', volume: 'db-dr', every: '1h', follow: { store: storeUrl }, keep: { last: 2 } }),
      'INVALID_ARGUMENT',
      'cannot have --keep-*',
    );
    expect(await scheduler.listSchedules()).toEqual([]);
    await scheduler.stop();
    await a.manager.close();
  });
});
