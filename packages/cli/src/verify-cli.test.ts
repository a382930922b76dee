import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VerifyReport } from '@convoy/backup-store';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';
import { DAMAGE_EXIT, NOT_CHECKED_EXIT } from './commands/backup/verify.js';

/**
 * `convoy backup verify STORE` against a real daemon, on a store with damage in one place: it
 * reports that place and verifies the rest (exit 3), and a volume another host is deleting is
 * a distinct outcome (exit 4), never damage.
 */
const dir = await tempDir('convoy-verify-cli-');
const storeDir = path.join(dir, 'store');
let daemon: RunningDaemon;
const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);

/** A fresh vfs store holding one backup of each of db1 and db2; returns its URL and directory. */
async function twoVolumeStore(name: string): Promise<{ url: string; root: string }> {
  const root = path.join(storeDir, name);
  await mkdir(root, { recursive: true });
  for (const volume of ['db1', 'db2']) {
    const created = await cli(['backup', 'create', `${volume}-s1`, '--dest', `vfs://${root}`]);
    expect(created.code, created.stderr).toBe(0);
  }
  return { url: `vfs://${root}`, root };
}

/** A file of a vfs store by its key's ending (short volume names are padded with `!` on disk). */
async function storeFile(root: string, suffix: string): Promise<string> {
  const file = (await readdir(root, { recursive: true })).find((f) => f.replace(/!/g, '').endsWith(suffix));
  expect(file, `no ${suffix} in ${root}`).toBeDefined();
  return path.join(root, file!);
}

beforeAll(async () => {
  daemon = await startTestDaemon(path.join(dir, 'daemon'));
  for (const volume of ['db1', 'db2']) {
    await cli(['create', volume]);
    await writeFile(path.join((await cli(['mount', volume])).stdout.trim(), 'data.txt'), `${volume} `.repeat(1000));
    await cli(['snapshot', 'create', volume, '--name', `${volume}-s1`]);
  }
});
afterAll(() => daemon.stop());

describe('convoy backup verify of a whole store', () => {
  it('names a corrupt volume.cfg, verifies the other volume, and exits 3', async () => {
    const { url, root } = await twoVolumeStore('corrupt-cfg');
    await writeFile(await storeFile(root, 'db2/volume.cfg'), '{"Name": "db');
    const res = await cli(['backup', 'verify', url, '--json']);
    expect(res.code, res.stderr).toBe(DAMAGE_EXIT);
    const report = res.json<VerifyReport>();
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'unreadable-record', volumeName: 'db2', key: expect.stringMatching(/db2!*\/volume\.cfg$/) }),
    ]);
    expect(report).toMatchObject({ volumes: 1, backups: 1 });
  });

  it('reports junk in the key records, and exits 3', async () => {
    const { url, root } = await twoVolumeStore('junk-keys');
    await mkdir(path.join(root, 'convoy-objectstore/keys'), { recursive: true });
    await writeFile(path.join(root, 'convoy-objectstore/keys/x.key'), '{"Id":"x"}');
    await writeFile(path.join(root, 'convoy-objectstore/keys/0123456789abcdef.key'), 'not json');
    const res = await cli(['backup', 'verify', url, '--table']);
    expect(res.code, res.stderr).toBe(DAMAGE_EXIT);
    expect(res.stdout).toContain('unreadable-key: key record convoy-objectstore/keys/x.key');
    expect(res.stdout).toContain('unreadable-key: key record convoy-objectstore/keys/0123456789abcdef.key');
  });

  it('names a volume another host is deleting as not checked, exit 4, and 0 once it is free', async () => {
    const { url, root } = await twoVolumeStore('held');
    const locks = path.join(path.dirname(await storeFile(root, 'db2/volume.cfg')), 'locks');
    await mkdir(locks, { recursive: true });
    const lock = {
      Name: 'feedfacefeedface',
      Type: 2,
      Acquired: true,
      Owner: 'other-host',
      Since: new Date().toISOString(),
      Operation: 'delete',
      DurationMs: 150_000,
    };
    const lockFile = path.join(locks, 'lock-feedfacefeedface.lck');
    await writeFile(lockFile, JSON.stringify(lock));
    const res = await cli(['backup', 'verify', url, '--table']);
    expect(res.code, res.stdout + res.stderr).toBe(NOT_CHECKED_EXIT);
    expect(res.stdout).toMatch(/^not checked: volume db2: .*other-host/m);
    expect(res.stdout).not.toMatch(/damaged|problem/);
    await rm(lockFile);
    expect((await cli(['backup', 'verify', url])).code).toBe(0);
  });
});
