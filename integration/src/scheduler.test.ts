import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { createCommandRunner, type ErrorCode, isConvoyError, ObjectStoreRegistry, silentLogger } from '@convoy/core';
import { tempDirFactory } from '@convoy/core/testing';
import vfs from '@convoy/driver-vfs';
import fsStore from '@convoy/objectstore-fs';
import { type ScheduleRunEvent, Scheduler, type ScheduleSpec, VolumeManager, type VolumeService } from '@convoy/volume-service';
import { FakeClock } from '@convoy/volume-service/testing';
import { describe, expect, it } from 'vitest';

const freshDir = await tempDirFactory('convoy-scheduler-');
const run = createCommandRunner({ timeoutMs: 60_000 });
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Host {
  manager: VolumeManager;
  clock: FakeClock;
  file: string;
  store: string;
  events: ScheduleRunEvent[];
  scheduler(service?: VolumeService): Promise<Scheduler>;
}

/** A real manager (vfs volumes, a vfs:// store) and schedulers on one schedules.json, with a fake clock. */
async function startHost(): Promise<Host> {
  const base = await freshDir();
  await fs.mkdir(path.join(base, 'store'));
  await fs.mkdir(path.join(base, 'share'));
  const driver = await vfs.create({ root: path.join(base, 'root', 'vfs'), options: { 'vfs.path': path.join(base, 'share') }, run, log: silentLogger });
  const stores = new ObjectStoreRegistry();
  stores.register(fsStore);
  const manager = new VolumeManager({ drivers: [driver], stores, engine: createBackupEngine(), owner: 'test', log: silentLogger });
  await manager.open();
  await manager.createVolume({ name: 'db' });
  const clock = new FakeClock(T0);
  const events: ScheduleRunEvent[] = [];
  const file = path.join(base, 'root', 'schedules.json');
  return {
    manager,
    clock,
    file,
    store: `vfs://${path.join(base, 'store')}`,
    events,
    async scheduler(service = manager) {
      const scheduler = new Scheduler({
        file,
        service,
        stores: manager.storeOperations,
        log: silentLogger,
        clock,
        random: () => 0.5,
        onRun: (e) => events.push(e),
      });
      await scheduler.start();
      return scheduler;
    },
  };
}

/** Advances the clock and waits for the runs it started. */
async function step(host: Host, scheduler: Scheduler, ms: number): Promise<void> {
  host.clock.advance(ms);
  await scheduler.settled();
  // A run that ended past its next due time re-arms at once: let that fire too.
  host.clock.advance(0);
  await scheduler.settled();
}

/** A service whose snapshots wait until `release()`: an injected slow run. */
function gated(manager: VolumeManager): { service: VolumeService; started: Promise<void>; release: () => void } {
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startedPromise = new Promise<void>((r) => (started = r));
  const service: VolumeService = Object.assign(Object.create(manager) as VolumeManager, {
    createSnapshot: async (volume: string, name?: string) => {
      started();
      await gate;
      return manager.createSnapshot(volume, name);
    },
  });
  return { service, started: startedPromise, release };
}

const scheduledSnapshots = async (host: Host, name = 'hourly') =>
  (await host.manager.getVolume('db')).snapshots
    .map((s) => s.name)
    .filter((n) => n.startsWith(`${name}-`))
    .sort();

async function refusal(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isConvoyError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  return (err as Error).message;
}

const hourly: ScheduleSpec = { name: 'hourly', volume: 'db', every: '1h' };

describe('the scheduler, on a controllable clock', () => {
  it('runs when due, not before, and shows last run, last success and next run', async () => {
    const host = await startHost();
    const scheduler = await host.scheduler();
    const created = await scheduler.createSchedule(hourly);
    expect(created).toMatchObject({ name: 'hourly', paused: false, runs: 0, nextRunAt: new Date(T0 + HOUR).toISOString(), running: false });

    await step(host, scheduler, 59 * MIN);
    expect(await scheduledSnapshots(host)).toEqual([]);
    await step(host, scheduler, MIN);
    expect(await scheduledSnapshots(host)).toEqual(['hourly-20260101T010000000Z']);
    const view = await scheduler.getSchedule('hourly');
    expect(view).toMatchObject({
      runs: 1,
      failures: 0,
      lastRun: { outcome: 'succeeded', trigger: 'timer', snapshot: 'hourly-20260101T010000000Z' },
      nextRunAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
    expect(view.lastSuccessAt).toBe(new Date(T0 + HOUR).toISOString());
    await scheduler.stop();
  });

  it('each run snapshots, backs up and applies retention to its own snapshots and to the backups', async () => {
    const host = await startHost();
    await host.manager.createSnapshot('db', 'by-hand');
    const scheduler = await host.scheduler();
    await scheduler.createSchedule({ ...hourly, backup: { dest: host.store, compression: 'gzip' }, keep: { last: 2 } });
    for (let i = 0; i < 4; i++) await step(host, scheduler, HOUR);
    expect(await scheduledSnapshots(host)).toEqual(['hourly-20260101T030000000Z', 'hourly-20260101T040000000Z']);
    expect((await host.manager.getVolume('db')).snapshots.map((s) => s.name)).toContain('by-hand');
    const backups = await host.manager.storeOperations.listBackups(host.store, { volumeName: 'db' });
    expect(backups.map((b) => b.snapshotName).sort()).toEqual(['hourly-20260101T030000000Z', 'hourly-20260101T040000000Z']);
    expect(backups.every((b) => b.compression === 'gzip')).toBe(true);
    expect((await scheduler.getSchedule('hourly')).lastRun).toMatchObject({
      outcome: 'succeeded',
      removedSnapshots: 1,
      removedBackups: 1,
      backupUrl: expect.stringContaining('backup='),
    });
    await scheduler.stop();
  });

  it('survives a restart; a run missed while the daemon was down runs ONCE at start, then timing re-anchors', async () => {
    const host = await startHost();
    const first = await host.scheduler();
    await first.createSchedule(hourly);
    await first.stop();
    host.clock.set(T0 + 5 * HOUR + 30 * MIN); // down across five due times

    const second = await host.scheduler();
    expect((await second.listSchedules()).map((s) => s.name)).toEqual(['hourly']);
    await step(host, second, 0);
    expect(await scheduledSnapshots(host)).toHaveLength(1);
    expect(await second.getSchedule('hourly')).toMatchObject({ runs: 1, nextRunAt: new Date(T0 + 6 * HOUR + 30 * MIN).toISOString() });
    await step(host, second, 59 * MIN);
    expect(await scheduledSnapshots(host)).toHaveLength(1);
    await step(host, second, MIN);
    expect(await scheduledSnapshots(host)).toHaveLength(2);
    await second.stop();
  });

  it('never overlaps runs of one schedule: a due time during a run waits, run NAME is refused', async () => {
    const host = await startHost();
    const slow = gated(host.manager);
    const scheduler = await host.scheduler(slow.service);
    await scheduler.createSchedule({ name: 'often', volume: 'db', every: '1s' });
    host.clock.advance(1000);
    await slow.started;
    host.clock.advance(10_000);
    expect(await scheduler.getSchedule('often')).toMatchObject({ runs: 1, running: true });
    expect(await refusal(scheduler.runSchedule('often'), 'BUSY')).toMatch(/often is running now/);
    slow.release();
    await scheduler.settled();
    host.clock.advance(0); // the due time that passed during the run: one more run, not ten
    await scheduler.settled();
    expect(await scheduler.getSchedule('often')).toMatchObject({ runs: 2, failures: 0, running: false });
    expect(await scheduledSnapshots(host, 'often')).toHaveLength(2);
    await scheduler.stop();
  });

  it('pause stops runs (next run: none) and resume restarts the timing from the resume', async () => {
    const host = await startHost();
    const scheduler = await host.scheduler();
    await scheduler.createSchedule(hourly);
    expect(await scheduler.pauseSchedule('hourly')).toMatchObject({ paused: true, pausedReason: 'paused by a user', nextRunAt: null });
    await step(host, scheduler, 3 * HOUR);
    expect(await scheduledSnapshots(host)).toEqual([]);
    const resumed = await scheduler.resumeSchedule('hourly');
    expect(resumed.paused).toBe(false);
    expect(resumed.pausedReason).toBeUndefined();
    expect(resumed.nextRunAt).toBe(new Date(T0 + 4 * HOUR).toISOString());
    await step(host, scheduler, HOUR);
    expect(await scheduledSnapshots(host)).toHaveLength(1);
    await scheduler.stop();
  });

  it('a daemon that dies mid-run: the next start records the run as failed, and the next run happens', async () => {
    const host = await startHost();
    const stuck = gated(host.manager);
    const dying = await host.scheduler(stuck.service);
    await dying.createSchedule(hourly);
    host.clock.advance(HOUR);
    await stuck.started; // the run is recorded as running on disk and never finishes: the process "dies"
    const onDisk = JSON.parse(await fs.readFile(host.file, 'utf8')) as { schedules: Array<{ lastRun: { outcome: string } }> };
    expect(onDisk.schedules[0]!.lastRun.outcome).toBe('running');

    host.clock.set(T0 + HOUR + 10 * MIN);
    const next = await host.scheduler();
    expect(await next.getSchedule('hourly')).toMatchObject({
      failures: 1,
      lastRun: { outcome: 'failed', error: { code: 'INTERRUPTED', message: expect.stringContaining('the daemon stopped during the run') } },
      lastError: { code: 'INTERRUPTED' },
      nextRunAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
    await step(host, next, 50 * MIN);
    expect(await next.getSchedule('hourly')).toMatchObject({ runs: 2, lastRun: { outcome: 'succeeded' } });
    await next.stop();
  });

  it('failures are visible: a store that fails records the error; a deleted volume pauses the schedule with a reason', async () => {
    const host = await startHost();
    const scheduler = await host.scheduler();
    await scheduler.createSchedule({ ...hourly, backup: { dest: 'vfs:///nonexistent/convoy-store' }, keep: { last: 1 } });
    await step(host, scheduler, HOUR);
    const failed = await scheduler.getSchedule('hourly');
    expect(failed).toMatchObject({
      failures: 1,
      paused: false,
      lastRun: { outcome: 'failed' },
      lastError: { message: expect.stringContaining('/nonexistent/convoy-store') },
    });
    expect(failed.lastSuccessAt).toBeUndefined();
    expect(host.events.map((e) => [e.schedule, e.run.outcome])).toEqual([['hourly', 'failed']]);
    // A failed run removes the snapshot it made (no leak per failed run), and retention did not run.
    expect(await scheduledSnapshots(host)).toHaveLength(0);

    await scheduler.createSchedule({ name: 'other', volume: 'db', every: '1h' });
    await host.manager.deleteVolume('db', { referenceOnly: false });
    await step(host, scheduler, HOUR);
    expect(await scheduler.getSchedule('other')).toMatchObject({
      paused: true,
      pausedReason: expect.stringContaining('volume db no longer exists'),
      nextRunAt: null,
      lastError: { code: 'NOT_FOUND' },
    });
    await scheduler.stop();
  });

  it('refuses bad input with a clear error and saves nothing', async () => {
    const host = await startHost();
    const scheduler = await host.scheduler();
    const cases: Array<[() => Promise<unknown>, ErrorCode, RegExp]> = [
      [() => scheduler.getSchedule('nosuch'), 'NOT_FOUND', /schedule nosuch does not exist/],
      [() => scheduler.deleteSchedule('nosuch'), 'NOT_FOUND', /nosuch/],
      [() => scheduler.pauseSchedule('nosuch'), 'NOT_FOUND', /nosuch/],
      [() => scheduler.resumeSchedule('nosuch'), 'NOT_FOUND', /nosuch/],
      [() => scheduler.runSchedule('nosuch'), 'NOT_FOUND', /nosuch/],
      [() => scheduler.createSchedule({ name: 'c', volume: 'db', every: '1h' }), 'INVALID_ARGUMENT', /schedule name/],
      [() => scheduler.createSchedule({ name: 'bad-cron', volume: 'db', cron: '61 * * * *' }), 'INVALID_ARGUMENT', /invalid --cron "61 \* \* \* \*"/],
      [() => scheduler.createSchedule({ name: 'bad-cron', volume: 'db', cron: '0 3 * *' }), 'INVALID_ARGUMENT', /invalid --cron/],
      [() => scheduler.createSchedule({ name: 'bad-tz', volume: 'db', cron: '0 3 * * *', timezone: 'Mars/Olympus' }), 'INVALID_ARGUMENT', /Mars\/Olympus/],
      [() => scheduler.createSchedule({ name: 'both', volume: 'db', every: '1h', cron: '0 3 * * *' }), 'INVALID_ARGUMENT', /exactly one of --every/],
      [() => scheduler.createSchedule({ name: 'neither', volume: 'db' }), 'INVALID_ARGUMENT', /exactly one of --every/],
      [
        () => scheduler.createSchedule({ name: 'fast', volume: 'db', every: '500ms' }),
        'INVALID_ARGUMENT',
        /--every "500ms" is out of range: give a duration from 1s to 366d/,
      ],
      [() => scheduler.createSchedule({ name: 'bad-every', volume: 'db', every: 'hourly' }), 'INVALID_ARGUMENT', /--every "hourly" is not a duration/],
      [
        () => scheduler.createSchedule({ ...hourly, keep: { last: -3 } }),
        'INVALID_ARGUMENT',
        /--keep-last -3 is out of range: give a whole number from 0 to 1000000/,
      ],
      [() => scheduler.createSchedule({ ...hourly, backup: { dest: 'not a url' } }), 'INVALID_ARGUMENT', /not a url/],
      [
        () => scheduler.createSchedule({ ...hourly, backup: { dest: host.store, compression: 'zip' as never } }),
        'INVALID_ARGUMENT',
        /unknown compression method "zip"/,
      ],
      [
        () => scheduler.createSchedule({ ...hourly, backup: { dest: host.store, layout: 'tarball' as never } }),
        'INVALID_ARGUMENT',
        /unknown store layout "tarball"/,
      ],
      [() => scheduler.createSchedule({ ...hourly, volume: 'nosuchvol' }), 'NOT_FOUND', /volume nosuchvol does not exist/],
      [() => scheduler.createSchedule({ ...hourly, jitter: 'a bit' }), 'INVALID_ARGUMENT', /--jitter "a bit"/],
    ];
    for (const [call, code, message] of cases) expect(await refusal(call(), code)).toMatch(message);
    await expect(fs.access(host.file)).rejects.toThrow(/ENOENT/);

    await scheduler.createSchedule(hourly);
    const saved = await fs.readFile(host.file, 'utf8');
    expect(await refusal(scheduler.createSchedule(hourly), 'ALREADY_EXISTS')).toMatch(/schedule hourly already exists/);
    expect(await fs.readFile(host.file, 'utf8')).toBe(saved);
    await scheduler.stop();
  });

  it('a hand-edited schedule file with a broken schedule pauses that one, saying why, and runs the rest', async () => {
    const host = await startHost();
    const first = await host.scheduler();
    await first.createSchedule(hourly);
    await first.createSchedule({ name: 'nightly', volume: 'db', cron: '0 3 * * *' });
    await first.stop();
    const saved = JSON.parse(await fs.readFile(host.file, 'utf8')) as { schedules: Array<{ name: string; cron?: string }> };
    saved.schedules.find((s) => s.name === 'nightly')!.cron = '0 99 * * *';
    await fs.writeFile(host.file, JSON.stringify(saved));

    const second = await host.scheduler();
    expect(await second.getSchedule('nightly')).toMatchObject({
      paused: true,
      pausedReason: expect.stringMatching(/^invalid in .*schedules\.json: .*--cron "0 99 \* \* \*"/),
      nextRunAt: null,
    });
    await step(host, second, HOUR);
    expect(await scheduledSnapshots(host)).toHaveLength(1);
    await second.stop();
  });

  it('cron schedules follow the expression in UTC (or the zone given), and jitter delays a run within its bound', async () => {
    const host = await startHost();
    const scheduler = await host.scheduler();
    expect((await scheduler.createSchedule({ name: 'nightly', volume: 'db', cron: '0 3 * * *' })).nextRunAt).toBe('2026-01-01T03:00:00.000Z');
    expect((await scheduler.createSchedule({ name: 'berlin', volume: 'db', cron: '0 3 * * *', timezone: 'Europe/Berlin' })).nextRunAt).toBe(
      '2026-01-01T02:00:00.000Z',
    );
    // random() is 0.5 here: half of the 10 minutes.
    expect((await scheduler.createSchedule({ name: 'jittered', volume: 'db', every: '1h', jitter: '10m' })).nextRunAt).toBe(
      new Date(T0 + HOUR + 5 * MIN).toISOString(),
    );
    for (let hour = 0; hour < 3; hour++) await step(host, scheduler, HOUR);
    expect(await scheduledSnapshots(host, 'nightly')).toEqual(['nightly-20260101T030000000Z']);
    expect(await scheduledSnapshots(host, 'jittered')).toEqual(['jittered-20260101T010500000Z', 'jittered-20260101T020500000Z']);
    expect((await scheduler.getSchedule('nightly')).nextRunAt).toBe('2026-01-02T03:00:00.000Z');
    await scheduler.stop();
  });
});
