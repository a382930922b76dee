import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BackupInfo } from '@convoy/plugin-server/client';
import { histogramCount, sample, scrape } from '@convoy/test-support/prometheus';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { rawRequest } from '@convoy/test-support/unix-http';
import { until } from '@convoy/test-support/until';
import type { ScheduleRun, ScheduleView } from '@convoy/volume-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

const dir = await tempDir('convoy-schedule-daemon-');
const s3 = await startS3rver({ buckets: ['convoy-sched'] });
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
const store = 's3://convoy-sched@us-east-1/scheduled';
const schedulesJson = path.join(dir, 'root', 'schedules.json');

describe('schedules and metrics in a real daemon (vfs volumes, s3rver store)', () => {
  let daemon: RunningDaemon;
  const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
  const view = async (name: string) => (await cli(['schedule', 'inspect', name, '--json'])).json<ScheduleView>();
  const metrics = () => scrape(daemon.metricsUrl!);

  beforeAll(async () => {
    daemon = await startTestDaemon(dir, { metrics: { host: '127.0.0.1', port: 0 } });
    await cli(['create', 'db']);
    const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
    await fs.writeFile(path.join(mountpoint, 'rows'), 'initial');
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses bad schedules with a clear error and saves nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['schedule', 'inspect', 'nosuch'], /schedule nosuch does not exist/],
      [['schedule', 'run', 'nosuch'], /schedule nosuch does not exist/],
      [['schedule', 'delete', 'nosuch'], /schedule nosuch does not exist/],
      [['schedule', 'pause', 'nosuch'], /schedule nosuch does not exist/],
      [['schedule', 'create', 'bad', '--volume', 'db', '--cron', '0 25 * * *'], /invalid --cron "0 25 \* \* \*"/],
      [
        ['schedule', 'create', 'bad', '--volume', 'db', '--every', '1h', '--keep-last', '-2'],
        /--keep-last "-2" is out of range: give a whole number from 0 to 1000000/,
      ],
      [['schedule', 'create', 'bad', '--volume', 'db', '--every', '1h', '--backup', 'not a url'], /not a url/],
      [['schedule', 'create', 'bad', '--volume', 'db', '--every', '1h', '--backup', 'ftp://host/x'], /ftp/],
      [['schedule', 'create', 'bad', '--volume', 'nosuchvol', '--every', '1h'], /volume nosuchvol does not exist/],
      [['schedule', 'create', 'bad', '--volume', 'db'], /exactly one of --every/],
      [['schedule', 'create', 'bad', '--volume', 'db', '--every', '1h', '--compression', 'gzip'], /only apply with --backup/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    // The API itself refuses fields it does not know (a misspelt option is never silently ignored).
    const misspelt = await rawRequest(
      daemon.socketPath,
      'POST',
      '/v1/schedules/create',
      JSON.stringify({ name: 'x1', volume: 'db', every: '1h', keepLast: 3 }),
      { 'content-type': 'application/json' },
    );
    expect(misspelt.status).toBe(400);
    expect(misspelt.text).toContain('keepLast');
    expect((await cli(['schedule', 'list', '--table'])).stdout).toBe('no schedules\n');
    await expect(fs.access(schedulesJson)).rejects.toThrow(/ENOENT/);
  });

  it('a one-second schedule backs up to S3 and keeps exactly the retained set; metrics move with it', async () => {
    const before = await metrics();
    const backupsBefore = sample(before, 'convoy_operations_total', { operation: 'create_backup', outcome: 'success' }) ?? 0;
    const created = await cli([
      'schedule',
      'create',
      'often',
      '--volume',
      'db',
      '--every',
      '1s',
      '--backup',
      store,
      '--s3-endpoint',
      s3.endpoint,
      '--keep-last',
      '3',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json<ScheduleView>()).toMatchObject({ name: 'often', every: '1s', keep: { last: 3 }, backup: { dest: store } });

    await until('six runs', async () => ((await view('often')).runs >= 6 ? true : undefined));
    expect((await cli(['schedule', 'pause', 'often', '--table'])).stdout).toBe('often: paused\n');
    const final = await until('the last run to end', async () => {
      const v = await view('often');
      return v.running ? undefined : v;
    });
    expect(final).toMatchObject({ paused: true, failures: 0, lastRun: { outcome: 'succeeded' }, nextRunAt: null });

    const snapshots = Object.keys((await cli(['inspect', 'db'])).json<{ Snapshots: Record<string, unknown> }>().Snapshots)
      .filter((n) => n.startsWith('often-'))
      .sort();
    const backups = Object.values(
      (await cli(['backup', 'list', store, '--volume-name', 'db', '--s3-endpoint', s3.endpoint])).json<Record<string, BackupInfo>>(),
    );
    expect(snapshots).toHaveLength(3);
    expect(snapshots.at(-1)).toBe(final.lastRun!.snapshot);
    expect(backups.map((b) => b.SnapshotName).sort()).toEqual(snapshots);
    // The newest retained backup restores.
    const newest = backups.find((b) => b.SnapshotName === final.lastRun!.snapshot)!;
    expect((await cli(['create', 'db-restored', '--backup', newest.BackupURL, '--s3-endpoint', s3.endpoint])).code).toBe(0);

    const list = (await cli(['schedule', 'list', '--table'])).stdout;
    expect(list).toMatch(/^NAME\s+VOLUME\s+WHEN\s+BACKUP TO\s+STATE\s+LAST RUN\s+LAST SUCCESS\s+NEXT RUN\s+LAST ERROR$/m);
    expect(list).toMatch(/^often\s+db\s+every 1s\s+s3:\/\/convoy-sched@us-east-1\/scheduled\s+paused: paused by a user\s+succeeded .+ ago\s+.+ ago\s+-\s+-$/m);

    const after = await metrics();
    expect(sample(after, 'convoy_operations_total', { operation: 'create_backup', outcome: 'success' })).toBeGreaterThanOrEqual(backupsBefore + final.runs);
    expect(sample(after, 'convoy_schedule_runs_total', { schedule: 'often', outcome: 'succeeded' })).toBe(final.runs);
    expect(sample(after, 'convoy_operations_total', { operation: 'forget_backups', outcome: 'success' })).toBe(final.runs);
    expect(sample(after, 'convoy_backup_uploaded_bytes_total')).toBeGreaterThan(0);
    expect(sample(after, 'convoy_backup_read_bytes_total')).toBeGreaterThan(0);
    expect(sample(after, 'convoy_store_requests_total', { scheme: 's3', kind: 'put' })).toBeGreaterThan(0);
    expect(sample(after, 'convoy_store_requests_total', { scheme: 's3', kind: 'delete' })).toBeGreaterThan(0);
    expect(after.find((f) => f.name === 'convoy_operation_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(histogramCount(after.text, 'convoy_operation_duration_seconds', { operation: 'create_backup' })).toBe(
      sample(after, 'convoy_operations_total', { operation: 'create_backup', outcome: 'success' }),
    );
    const lastBackup = sample(after, 'convoy_backup_last_success_timestamp_seconds', { volume: 'db' })!;
    expect(Math.abs(lastBackup - Date.now() / 1000)).toBeLessThan(60);
    expect(sample(after, 'convoy_schedule_paused', { schedule: 'often' })).toBe(1);
  });

  it('a failing run is visible in schedule run, schedule list and the metrics', async () => {
    await cli(['schedule', 'create', 'broken', '--volume', 'db', '--every', '1d', '--backup', `vfs://${path.join(dir, 'no-such-store')}`]);
    const res = await cli(['schedule', 'run', 'broken']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^convoy: schedule broken failed: .*no-such-store/);
    const failed = await view('broken');
    expect(failed).toMatchObject({
      failures: 1,
      lastRun: { outcome: 'failed', trigger: 'manual' },
      lastError: { message: expect.stringContaining('no-such-store') },
    });
    expect((await cli(['schedule', 'list', '--table'])).stdout).toMatch(/^broken\s+.*failed.*no-such-store/m);
    const scraped = await metrics();
    expect(sample(scraped, 'convoy_schedule_failures', { schedule: 'broken' })).toBe(1);
    expect(sample(scraped, 'convoy_schedule_last_run_failed', { schedule: 'broken' })).toBe(1);
    expect(sample(scraped, 'convoy_schedule_runs_total', { schedule: 'broken', outcome: 'failed' })).toBe(1);
    expect(sample(scraped, 'convoy_operations_total', { operation: 'create_backup', outcome: 'not_found' })).toBeGreaterThanOrEqual(1);
    const ok = await cli(['schedule', 'delete', 'broken']);
    expect(ok.code).toBe(0);
  });

  it('docker volume create -o schedule=... attaches a schedule named after the volume; a bad one creates nothing', async () => {
    const create = (name: string, opts: Record<string, string>) =>
      rawRequest(daemon.socketPath, 'POST', '/VolumeDriver.Create', JSON.stringify({ Name: name, Opts: opts })).then((r) => r.json() as { Err: string });
    expect(
      await create('web', {
        schedule: '0 3 * * *',
        'schedule-keep-daily': '7',
        'schedule-backup': store,
        'schedule-endpoint': s3.endpoint,
        'schedule-layout': 'convoy-v0.5',
      }),
    ).toEqual({ Err: '' });
    expect(await view('web')).toMatchObject({
      volume: 'web',
      cron: '0 3 * * *',
      keep: { daily: 7 },
      backup: { dest: store, endpoint: s3.endpoint, layout: 'convoy-v0.5' },
    });
    const badLayout = await create('web4', { schedule: '1h', 'schedule-backup': store, 'schedule-layout': 'tarball' });
    expect(badLayout.Err).toMatch(/unknown store layout "tarball"/);
    const bad = await create('web2', { schedule: '1h', 'schedule-keep-last': '-1' });
    expect(bad.Err).toMatch(/-o schedule-keep-last "-1" is out of range/);
    const unknown = await create('web3', { schedule: '1h', 'schedule-keep-forever': '1' });
    expect(unknown.Err).toMatch(/unknown option -o schedule-keep-forever/);
    const unsure = await create('web4', { schedule: '1h', 'schedule-consistent': 'yes' });
    expect(unsure.Err).toMatch(/-o schedule-consistent="yes": use true or false/);
    expect(await create('web5', { schedule: '1h', 'schedule-consistent': 'true' })).toEqual({ Err: '' });
    expect(await view('web5')).toMatchObject({ volume: 'web5', every: '1h', consistent: true });
    expect((await cli(['inspect', 'web2'])).code).toBe(1);
    expect((await cli(['inspect', 'web3'])).code).toBe(1);
    expect((await cli(['inspect', 'web4'])).code).toBe(1);

    // docker volume rm: the schedule stays, paused, saying why.
    expect(await rawRequest(daemon.socketPath, 'POST', '/VolumeDriver.Remove', JSON.stringify({ Name: 'web' })).then((r) => r.json())).toEqual({ Err: '' });
    expect(await view('web')).toMatchObject({ paused: true, pausedReason: expect.stringContaining('volume web was deleted'), nextRunAt: null });
  });

  it('schedules survive a daemon restart', async () => {
    const names = (await cli(['schedule', 'list', '--json'])).json<ScheduleView[]>().map((s) => s.name);
    await daemon.stop();
    daemon = await startTestDaemon(dir, { metrics: { host: '127.0.0.1', port: 0 } });
    const again = (await cli(['schedule', 'list', '--json'])).json<ScheduleView[]>();
    expect(again.map((s) => s.name)).toEqual(names);
    expect(again.find((s) => s.name === 'often')).toMatchObject({ paused: true });
    // The backup gauge comes back from the schedules' state, not blank.
    expect(sample(await metrics(), 'convoy_backup_last_success_timestamp_seconds', { volume: 'db' })).toBeGreaterThan(0);
    const run = (await cli(['schedule', 'run', 'often', '--json'])).json<ScheduleRun>();
    expect(run.outcome).toBe('succeeded');
    // Keeping the last 3, each run removes the oldest snapshot and backup, and names them.
    const oldest = Object.keys((await cli(['inspect', 'db'])).json<{ Snapshots: Record<string, unknown> }>().Snapshots)
      .filter((n) => n.startsWith('often-'))
      .sort()[0]!;
    const oldestBackup = Object.values(
      (await cli(['backup', 'list', store, '--volume-name', 'db', '--s3-endpoint', s3.endpoint])).json<Record<string, BackupInfo>>(),
    ).find((b) => b.SnapshotName === oldest)!;
    const named = await cli(['schedule', 'run', 'often', '--table']);
    expect(named.stdout).toMatch(
      new RegExp(`^often: succeeded; snapshot often-\\S+; backup s3://\\S+; removed snapshot ${oldest}; removed backup ${oldestBackup.BackupName}\n$`),
    );
    expect((await cli(['schedule', 'inspect', 'often', '--json'])).json<ScheduleView>().lastRun).toMatchObject({
      removed: { snapshots: [oldest], backups: [oldestBackup.BackupName] },
      removedSnapshots: 1,
      removedBackups: 1,
    });
  });
});
