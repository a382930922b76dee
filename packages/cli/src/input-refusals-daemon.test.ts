/*
 * Issue 17, rows 1, 6, 9, 12 and 15 against a real daemon: out-of-range retention spans,
 * intervals and jitters are refused and change nothing; a failed scheduled run removes the
 * snapshot it made; `create --backup ""` is refused by the CLI and Docker; a malformed
 * schedules.json stops the daemon with the "move it aside" hint.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fingerprintTree as fingerprint } from '@convoy/test-support/fingerprint';
import { tempDir } from '@convoy/test-support/tmp';
import { rawRequest } from '@convoy/test-support/unix-http';
import { until } from '@convoy/test-support/until';
import type { ScheduleView } from '@convoy/volume-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon, testDaemonConfig } from '../test/cli-harness.js';
import { startDaemonProcess } from '../test/daemon-process.js';
import { createVolumeHistory } from '../test/volume-history.js';

const dir = await tempDir('convoy-input-refusals-');
const storeDir = path.join(dir, 'store');
const store = `vfs://${storeDir}`;
const root = path.join(dir, 'root');

const dockerCreate = (socket: string, name: string, opts: Record<string, string>) =>
  rawRequest(socket, 'POST', '/VolumeDriver.Create', JSON.stringify({ Name: name, Opts: opts }));

describe('out-of-range values, failed runs and empty backup URLs against a real daemon', () => {
  let daemon: RunningDaemon;
  const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
  const backupNames = async () =>
    Object.values((await cli(['backup', 'list', store, '--volume-name', 'db'])).json<Record<string, { BackupName: string }>>())
      .map((b) => b.BackupName)
      .sort();
  const snapshotNames = async (volume = 'db') => Object.keys((await cli(['inspect', volume])).json<{ Snapshots: Record<string, unknown> }>().Snapshots).sort();
  const state = async () => [...(await fingerprint(root)), ...(await fingerprint(storeDir)).map((f) => `store/${f}`)];

  beforeAll(async () => {
    await fs.mkdir(storeDir);
    daemon = await startTestDaemon(dir, { metrics: { host: '127.0.0.1', port: 0 } });
    await createVolumeHistory(cli, 'db', store, 3);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('row 1: --keep-within beyond any date is refused by backup forget, snapshot forget and schedule create, and removes nothing', async () => {
    const before = await state();
    const backups = await backupNames();
    const snapshots = await snapshotNames();
    for (const span of ['275000y', '9007199254740993d', '99999999999999999999h', '1001y']) {
      for (const args of [
        ['backup', 'forget', store, '--volume-name', 'db', '--keep-within', span],
        ['snapshot', 'forget', 'db', '--keep-within', span],
        ['schedule', 'create', 'far', '--volume', 'db', '--every', '1h', '--backup', store, '--keep-within', span],
      ]) {
        const res = await cli(args);
        expect(res.code, args.join(' ')).toBe(1);
        expect(res.stderr, args.join(' ')).toMatch(new RegExp(`--keep-within "${span}" is out of range: give at most 1000y`));
      }
    }
    expect(await backupNames()).toEqual(backups);
    expect(await snapshotNames()).toEqual(snapshots);
    expect(await state()).toEqual(before);
  });

  it('row 1: the newest backup and snapshot survive the widest span that is accepted', async () => {
    const newestBackup = (await backupNames()).length;
    expect(newestBackup).toBe(3);
    const res = await cli(['backup', 'forget', store, '--volume-name', 'db', '--keep-within', '1000y', '--dry-run', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json<{ removed: unknown[] }>().removed).toEqual([]);
  });

  it('row 6: a huge --every or --jitter, over the CLI, /v1 and Docker -o, is refused and nothing is saved', async () => {
    const before = await state();
    const cases: Array<[string[], RegExp]> = [
      [['schedule', 'create', 'huge', '--volume', 'db', '--every', '100000000d'], /--every "100000000d" is out of range: give a duration from 1s to 366d/],
      [
        ['schedule', 'create', 'huge', '--volume', 'db', '--every', '1h', '--jitter', '100000000d'],
        /--jitter "100000000d" is out of range: give a duration from 0 to 31d/,
      ],
      [['schedule', 'create', 'huge', '--volume', 'db', '--every', '9007199254740993ms'], /--every "9007199254740993ms" is out of range/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    const api = await rawRequest(daemon.socketPath, 'POST', '/v1/schedules/create', JSON.stringify({ name: 'huge', volume: 'db', every: '100000000d' }), {
      'content-type': 'application/json',
    });
    expect(api.status).toBe(400);
    expect(api.text).toMatch(/--every \\?"100000000d\\?" is out of range/);
    const docker = await dockerCreate(daemon.socketPath, 'hugevol', { schedule: '100000000d' });
    expect(docker.json()).toMatchObject({ Err: expect.stringMatching(/^-o schedule "100000000d" is out of range: give a duration from 1s to 366d/) });
    const dockerJitter = await dockerCreate(daemon.socketPath, 'hugevol', { schedule: '1h', 'schedule-jitter': '100000000d' });
    expect(dockerJitter.json()).toMatchObject({
      Err: expect.stringMatching(/^-o schedule-jitter "100000000d" is out of range: give a duration from 0 to 31d/),
    });
    const dockerWithin = await dockerCreate(daemon.socketPath, 'hugevol', { schedule: '1h', 'schedule-keep-within': '275000y' });
    expect(dockerWithin.json()).toMatchObject({ Err: expect.stringMatching(/^-o schedule-keep-within "275000y" is out of range: give at most 1000y/) });

    expect(await state()).toEqual(before);
    const list = await cli(['schedule', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toEqual([]);
  });

  it('row 9: a scheduled run whose store fails removes the snapshot it made and says what failed', async () => {
    const blocker = path.join(dir, 'not-a-directory');
    await fs.writeFile(blocker, 'a file where the store should be');
    const broken = `vfs://${blocker}/store`;
    const created = await cli(['schedule', 'create', 'leaky', '--volume', 'db', '--every', '1h', '--backup', broken, '--keep-last', '2']);
    expect(created.code, created.stderr).toBe(0);
    const before = await snapshotNames();
    for (let run = 1; run <= 4; run++) {
      const res = await cli(['schedule', 'run', 'leaky', '--json']);
      expect(res.code).toBe(1);
      const view = (await cli(['schedule', 'inspect', 'leaky', '--json'])).json<ScheduleView>();
      expect(view).toMatchObject({ runs: run, failures: run, lastRun: { outcome: 'failed' } });
      expect(view.lastError?.message).toMatch(/backup of leaky-\d{8}T\d{9}Z failed/);
      expect(view.lastError?.message).toMatch(/the run's snapshot was removed/);
      expect(await snapshotNames()).toEqual(before);
    }
    expect((await cli(['schedule', 'delete', 'leaky'])).code).toBe(0);

    // The row as reported: a one-second timer against the same failing store leaves nothing behind.
    expect((await cli(['schedule', 'create', 'often', '--volume', 'db', '--every', '1s', '--backup', broken, '--keep-last', '2'])).code).toBe(0);
    await until('three timed runs', async () =>
      (await cli(['schedule', 'inspect', 'often', '--json'])).json<ScheduleView>().failures >= 3 ? true : undefined,
    );
    expect((await cli(['schedule', 'pause', 'often'])).code).toBe(0);
    const final = await until('the last run to end', async () => {
      const view = (await cli(['schedule', 'inspect', 'often', '--json'])).json<ScheduleView>();
      return view.running ? undefined : view;
    });
    expect(final).toMatchObject({ runs: final.failures, lastRun: { outcome: 'failed' } });
    expect(await snapshotNames()).toEqual(before);
    expect((await cli(['schedule', 'delete', 'often'])).code).toBe(0);
  });

  // /v1 keeps reading BackupURL "" as "none": Go's client sends "" for every plain create
  // (client/volume.go), so only the CLI and Docker, where "" can only be a mistake, refuse it.
  it('row 12: create --backup "" is refused over the CLI and Docker -o backup=, and creates nothing', async () => {
    const before = await state();
    const res = await cli(['create', 'empty', '--backup', '']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--backup is empty/);
    const docker = await dockerCreate(daemon.socketPath, 'empty', { backup: '' });
    expect(docker.json()).toMatchObject({ Err: expect.stringMatching(/backup URL is empty/) });
    expect((await cli(['inspect', 'empty'])).code).toBe(1);
    expect(await state()).toEqual(before);
  });

  it('only --allow-removing-newest removes the newest, only on the forget commands, never in a schedule', async () => {
    const backups = await backupNames();
    expect((await cli(['backup', 'forget', store, '--volume-name', 'db'])).stderr).toMatch(/no keep rule given .*--allow-removing-newest to remove everything/);
    const dry = await cli(['backup', 'forget', store, '--volume-name', 'db', '--allow-removing-newest', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      dry
        .json<{ removed: Array<{ name: string }> }>()
        .removed.map((b) => b.name)
        .sort(),
    ).toEqual(backups);
    const scheduled = await rawRequest(
      daemon.socketPath,
      'POST',
      '/v1/schedules/create',
      JSON.stringify({ name: 'all', volume: 'db', every: '1h', keep: { last: 1, allowRemovingNewest: true } }),
      {
        'content-type': 'application/json',
      },
    );
    expect(scheduled.status).toBe(400);
    expect(scheduled.text).toMatch(/a schedule always keeps the newest snapshot and backup/);
    const flag = await cli(['schedule', 'create', 'all', '--volume', 'db', '--every', '1h', '--keep-last', '1', '--allow-removing-newest']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/allow-removing-newest/);
    expect(await backupNames()).toEqual(backups);

    const removed = await cli(['snapshot', 'forget', 'db', '--allow-removing-newest', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await snapshotNames()).toEqual([]);
  });
});

describe('row 15: a malformed schedules.json stops the daemon with the hint to move it aside', () => {
  it.each([
    ['null', 'null'],
    ['empty', ''],
    ['truncated', '{"version":1,"schedules":[{"name":"a","vol'],
    ['a list', '[]'],
    ['schedules not a list', '{"version":1,"schedules":null}'],
    ['a null schedule', '{"version":1,"schedules":[null]}'],
    ['binary junk', '\u0000\u0001\u00ff'],
  ])('%s', async (_, text) => {
    const at = await tempDir('convoy-bad-schedules-');
    await fs.mkdir(path.join(at, 'root'), { recursive: true });
    await fs.writeFile(path.join(at, 'root', 'schedules.json'), text);
    await fs.mkdir(path.join(at, 'volumes'));
    // A real daemon process: it exits, and what it prints says what is wrong and what to do.
    const started = startDaemonProcess(testDaemonConfig(at));
    await expect(started).rejects.toThrow(/exited \(1\) before it was ready/);
    await expect(started).rejects.toThrow(/schedules\.json is not a version-1 schedule file \(.+\); move it aside to start without schedules/);
    await expect(started).rejects.not.toThrow(/TypeError|Cannot read/);
  });

  it('a saved schedule whose interval is out of range is paused, saying why, and the daemon with metrics still starts', async () => {
    const at = await tempDir('convoy-far-schedule-');
    await fs.mkdir(path.join(at, 'root'), { recursive: true });
    const saved = {
      name: 'far',
      volume: 'db',
      every: '100000000d',
      createdAt: '2026-01-01T00:00:00.000Z',
      anchorAt: '2026-01-01T00:00:00.000Z',
      paused: false,
      runs: 0,
      failures: 0,
    };
    const keepsNothing = { ...saved, name: 'keeps-nothing', every: '1h', backup: { dest: store }, keep: { within: '275000y' } };
    await fs.writeFile(path.join(at, 'root', 'schedules.json'), JSON.stringify({ version: 1, schedules: [saved, keepsNothing] }));
    const daemon = await startTestDaemon(at, { metrics: { host: '127.0.0.1', port: 0 } });
    try {
      const list = await convoy(['--socket', daemon.socketPath, 'schedule', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.json<ScheduleView[]>()).toMatchObject([
        { name: 'far', paused: true, pausedReason: expect.stringMatching(/--every "100000000d" is out of range/), nextRunAt: null },
        { name: 'keeps-nothing', paused: true, pausedReason: expect.stringMatching(/--keep-within "275000y" is out of range/), nextRunAt: null },
      ]);
      // Resuming it would save a schedule that cannot run: refused, and the file stays as it was.
      const file = await fs.readFile(path.join(at, 'root', 'schedules.json'), 'utf8');
      const resumed = await convoy(['--socket', daemon.socketPath, 'schedule', 'resume', 'far']);
      expect(resumed.code).toBe(1);
      expect(resumed.stderr).toMatch(/schedule far was not saved: --every "100000000d" is out of range/);
      expect(await fs.readFile(path.join(at, 'root', 'schedules.json'), 'utf8')).toBe(file);
    } finally {
      await daemon.stop();
    }
  });
});
