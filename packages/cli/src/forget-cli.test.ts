import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ForgetReport, SnapshotForgetReport } from '@convoy/backup-store';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

const dir = await tempDir('convoy-forget-cli-');

describe('convoy backup forget and snapshot forget against a real daemon', () => {
  let daemon: RunningDaemon;
  const store = `vfs://${path.join(dir, 'store')}`;
  const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
  const backupNames = async () =>
    Object.values((await cli(['backup', 'list', store, '--volume-name', 'db'])).json<Record<string, { BackupName: string }>>())
      .map((b) => b.BackupName)
      .sort();
  const snapshotNames = async () => Object.keys((await cli(['inspect', 'db'])).json<{ Snapshots: Record<string, unknown> }>().Snapshots).sort();

  beforeAll(async () => {
    await mkdir(path.join(dir, 'store'));
    daemon = await startTestDaemon(dir);
    await cli(['create', 'db']);
    const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
    for (let i = 0; i < 4; i++) {
      await writeFile(path.join(mountpoint, 'data'), `version ${i}`);
      await cli(['snapshot', 'create', 'db', '--name', `db-s${i}`]);
      expect((await cli(['backup', 'create', `db-s${i}`, '--dest', store])).code).toBe(0);
    }
  });
  afterAll(async () => {
    await daemon.stop();
  });

  it('backup forget --dry-run lists the decision with reasons and removes nothing; the real run removes exactly that', async () => {
    const before = await backupNames();
    expect(before).toHaveLength(4);
    const dry = await cli(['backup', 'forget', store, '--volume-name', 'db', '--keep-last', '2', '--dry-run', '--table']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^ACTION\s+BACKUP\s+CREATED\s+KEPT BECAUSE$/m);
    expect(dry.stdout.match(/^keep\s+backup-[0-9a-f]{16}\s+.* ago\s+last$/gm)).toHaveLength(2);
    expect(dry.stdout.match(/^would remove\s+backup-[0-9a-f]{16}\s/gm)).toHaveLength(2);
    expect(dry.stdout).toContain('dry run: keeping 2 backup(s), would remove 2');
    expect(await backupNames()).toEqual(before);

    const dryJson = (await cli(['backup', 'forget', store, '--volume-name', 'db', '--keep-last', '2', '--dry-run', '--json'])).json<ForgetReport>();
    const real = (await cli(['backup', 'forget', store, '--volume-name', 'db', '--keep-last', '2', '--json'])).json<ForgetReport>();
    expect(real.dryRun).toBe(false);
    expect(real.removed.map((b) => b.name)).toEqual(dryJson.removed.map((b) => b.name));
    expect(await backupNames()).toEqual(real.kept.map((k) => k.backup.name).sort());
    // What is left restores.
    expect((await cli(['create', 'db-back', '--backup', real.kept[0]!.backup.url])).code).toBe(0);
  });

  it('snapshot forget keeps what the policy says, with --dry-run first', async () => {
    const dry = (await cli(['snapshot', 'forget', 'db', '--keep-last', '1', '--dry-run', '--json'])).json<SnapshotForgetReport>();
    expect(dry.removed).toHaveLength(3);
    expect(await snapshotNames()).toHaveLength(4);
    const real = await cli(['snapshot', 'forget', 'db', '--keep-last', '1', '--table']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('keeping 1 snapshot(s), removed 3');
    expect(await snapshotNames()).toEqual(dry.kept.map((k) => k.snapshot.name));
  });

  it('bad input gets one clear line and changes nothing', async () => {
    const backups = await backupNames();
    const snapshots = await snapshotNames();
    const cases: Array<[string[], RegExp]> = [
      [['backup', 'forget', store, '--volume-name', 'db', '--keep-last', '-1'], /--keep-last "-1" is out of range: give a whole number from 0 to 1000000/],
      [['backup', 'forget', store, '--volume-name', 'db'], /no keep rule given/],
      [['backup', 'forget', store, '--volume-name', 'db', '--keep-within', '30 days'], /--keep-within "30 days" is not a duration/],
      [['backup', 'forget', 'not a url', '--volume-name', 'db', '--keep-last', '1'], /URL/],
      [['backup', 'forget', store, '--volume-name', 'nosuchvol', '--keep-last', '1'], /nosuchvol has no backups/],
      [['snapshot', 'forget', 'db', '--keep-daily', 'x'], /--keep-daily "x" is not a whole number: give a whole number from 0 to 1000000/],
      [['snapshot', 'forget', 'nosuchvol', '--keep-last', '1'], /nosuchvol does not exist/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    expect(await backupNames()).toEqual(backups);
    expect(await snapshotNames()).toEqual(snapshots);
  });
});
