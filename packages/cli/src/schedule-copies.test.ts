// A schedule naming several stores (issue 21, 3-2-1): the first gets each run's backup, the
// others a copy with the same name, each store keeping by its own retention. Real daemon, a
// directory store and s3rver; bad store lists refused with nothing saved.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import type { ScheduleRun, ScheduleView } from '@convoy/volume-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

const dir = await tempDir('convoy-schedule-copies-');
const s3 = await startS3rver({ buckets: ['convoy-offsite'] });
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

let daemon: RunningDaemon;
const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
const local = `vfs://${path.join(dir, 'local')}`;
const second = `vfs://${path.join(dir, 'second')}`;
const offsite = 's3://convoy-offsite@us-east-1/db';

async function backupNames(store: string): Promise<string[]> {
  const res = await cli(['backup', 'list', store, '--volume-name', 'db', ...(store.startsWith('s3://') ? ['--s3-endpoint', s3.endpoint] : [])]);
  expect(res.code, res.stderr).toBe(0);
  return Object.values(res.json<Record<string, { BackupName: string }>>())
    .map((b) => b.BackupName)
    .sort();
}

beforeAll(async () => {
  await mkdir(path.join(dir, 'local'));
  await mkdir(path.join(dir, 'second'));
  daemon = await startTestDaemon(path.join(dir, 'root'));
  await cli(['create', 'db']);
  await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'rows'), 'initial');
});
afterAll(() => daemon?.stop());

describe('schedule create with --backup repeated', () => {
  it('backs up to the first store, copies to the others with the same names, and applies each store its own retention', async () => {
    const created = await cli([
      'schedule',
      'create',
      'three',
      '--volume',
      'db',
      '--every',
      '1h',
      '--keep-last',
      '4',
      '--backup',
      `${local},keep-last=3`,
      '--backup',
      second,
      '--backup',
      `${offsite},keep-last=1`,
      '--s3-endpoint',
      s3.endpoint,
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const view = created.json<ScheduleView>();
    expect(view.backup).toMatchObject({ dest: local, keep: { last: 3 } });
    expect(view.copies).toEqual([{ dest: second }, { dest: offsite, endpoint: s3.endpoint, keep: { last: 1 } }]);

    const runs: ScheduleRun[] = [];
    for (let i = 0; i < 5; i += 1) {
      await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'rows'), `run ${i}`);
      const res = await cli(['schedule', 'run', 'three', '--json']);
      expect(res.code, res.stderr + res.stdout).toBe(0);
      runs.push(res.json<ScheduleRun>());
    }
    const last = runs.at(-1)!;
    expect(last.copiedTo).toEqual([second, offsite]);
    const newest = last.backupUrl!.match(/backup=(backup-[0-9a-f]{16})/)![1]!;
    const [inLocal, inSecond, inOffsite] = [await backupNames(local), await backupNames(second), await backupNames(offsite)];
    expect(inLocal).toHaveLength(3);
    expect(inSecond).toHaveLength(4);
    expect(inOffsite).toEqual([newest]);
    for (const name of inLocal) expect(inSecond).toContain(name);
    expect(last.removed?.copies).toEqual({ [second]: [expect.stringMatching(/^backup-/)], [offsite]: [expect.stringMatching(/^backup-/)] });
    const table = await cli(['schedule', 'run', 'three', '--table']);
    expect(table.stdout).toContain(`copied to ${second}, ${offsite}`);
    expect(table.stdout).toMatch(new RegExp(`removed from ${offsite.replace(/[/.]/g, '\\$&')}: backup-`));
    expect((await cli(['schedule', 'list', '--table'])).stdout).toContain(`${local} +2 by copy`);
    const newestNow = (await backupNames(offsite))[0]!;
    const restored = await cli(['create', 'db-offsite', '--backup', `${offsite}?backup=${newestNow}&volume=db`, '--s3-endpoint', s3.endpoint]);
    expect(restored.code, restored.stderr).toBe(0);
  });

  it('a run whose copy reaches one further store but not the next is reported failed, and no store runs retention', async () => {
    const stores = ['p-local', 'p-second', 'p-third'].map((name) => path.join(dir, name));
    for (const root of stores) await mkdir(root);
    const [first, copyOk, copyBad] = stores.map((root) => `vfs://${root}`) as [string, string, string];
    const args = ['--every', '1h', '--keep-last', '1', '--backup', first, '--backup', copyOk, '--backup', copyBad];
    const created = await cli(['schedule', 'create', 'partly', '--volume', 'db', ...args]);
    expect(created.code, created.stderr).toBe(0);
    const firstRun = await cli(['schedule', 'run', 'partly', '--json']);
    expect(firstRun.code, firstRun.stderr + firstRun.stdout).toBe(0);

    // The third store's record of the volume is damaged: the next copy to it fails.
    const cfg = path.join(stores[2]!, (await readdir(stores[2]!, { recursive: true })).find((f) => f.endsWith('volume.cfg') && f.includes('/db'))!);
    await writeFile(cfg, '{"Name": "db", cut');
    await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'rows'), 'second run');
    const failed = await cli(['schedule', 'run', 'partly', '--json']);
    expect(failed.code).toBe(1);
    const error = failed.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain(`to ${copyBad} failed`);
    expect(error.message).toContain(`it was copied to ${copyOk}`);
    expect(error.message).toContain('no retention ran');
    const view = (await cli(['schedule', 'inspect', 'partly', '--json'])).json<ScheduleView>();
    expect(view.lastRun).toMatchObject({ outcome: 'failed', error: { code: 'CORRUPT' } });
    // keep-last 1 would have left one backup in each store: retention ran nowhere.
    expect(await backupNames(first)).toHaveLength(2);
    expect(await backupNames(copyOk)).toHaveLength(2);
  });

  it('refuses a store named twice, and keep rules that are not; nothing is saved', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--backup', local, '--backup', local], /named twice/],
      [['--backup', `${local},keep-often=3`], /"keep-often=3" is not a keep rule/],
      [['--backup', `${local},keep-last=-1`], /--keep-last "-1" is out of range/],
      [['--backup', local, '--backup', 'not a url'], /not a url/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(['schedule', 'create', 'bad', '--volume', 'db', '--every', '1h', ...args]);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    const api = await cli(['schedule', 'list', '--json']);
    expect(api.json<{ name: string }[]>().map((s) => s.name)).not.toContain('bad');
  });
});
