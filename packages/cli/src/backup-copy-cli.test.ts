// `convoy backup copy` against a real daemon (directory volumes: single-file archives), between
// vfs:// stores and s3rver, encrypted and not; bad input refused by name with nothing written.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CopyReport, VerifyReport } from '@convoy/backup-store';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

const dir = await tempDir('convoy-copy-cli-');
const s3 = await startS3rver({ buckets: ['convoy-copy'] });
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

let daemon: RunningDaemon;
const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
const payload = randomBytes(2 * 1024 * 1024 + 5);
const keyFile = path.join(dir, 'site-a.key');
const targetKeyFile = path.join(dir, 'site-b.key');

async function newStore(name: string): Promise<{ url: string; root: string }> {
  const root = path.join(dir, 'stores', name);
  await mkdir(root, { recursive: true });
  return { url: `vfs://${root}`, root };
}

async function storeFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** What `backup list` shows of each backup that must agree between stores (the URL names the store). */
async function listed(store: string, extra: string[] = []) {
  const res = await cli(['backup', 'list', store, ...extra]);
  expect(res.code, res.stderr).toBe(0);
  const backups = Object.values(res.json<Record<string, Record<string, string>>>());
  return backups.map(({ BackupURL: _, ...rest }) => rest).sort((a, b) => a['BackupName']!.localeCompare(b['BackupName']!));
}

async function copy(args: string[]): Promise<CopyReport> {
  const res = await cli(['backup', 'copy', ...args, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return res.json<CopyReport>();
}

async function expectRestores(url: string, extra: string[] = []): Promise<void> {
  const name = `restored-${randomBytes(4).toString('hex')}`;
  const created = await cli(['create', name, '--backup', url, ...extra]);
  expect(created.code, created.stderr).toBe(0);
  const mountpoint = (await cli(['mount', name])).stdout.trim();
  expect((await readFile(path.join(mountpoint, 'table.bin'))).equals(payload)).toBe(true);
}

beforeAll(async () => {
  await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
  await writeFile(targetKeyFile, randomBytes(32), { mode: 0o600 });
  daemon = await startTestDaemon(path.join(dir, 'daemon'));
  await cli(['create', 'db1']);
  await writeFile(path.join((await cli(['mount', 'db1'])).stdout.trim(), 'table.bin'), payload);
  await cli(['snapshot', 'create', 'db1', '--name', 'db1-s1']);
  await cli(['snapshot', 'create', 'db1', '--name', 'db1-s2']);
});
afterAll(() => daemon.stop());

describe('convoy backup copy', () => {
  it('copies to another directory store and to S3 with the same names and times, resumes nothing twice, and the copies restore and verify', async () => {
    const a = await newStore('a');
    const b = await newStore('b');
    for (const snapshot of ['db1-s1', 'db1-s2']) expect((await cli(['backup', 'create', snapshot, '--dest', a.url])).code).toBe(0);

    const report = await copy(['--from', a.url, '--to', b.url, '--volume-name', 'db1']);
    expect(report).toMatchObject({ skipped: 0, blocksCopied: 0, archivesCopied: 2 });
    expect(report.copied).toHaveLength(2);
    expect(await listed(b.url)).toEqual(await listed(a.url));
    const again = await copy(['--from', a.url, '--to', b.url]);
    expect(again).toMatchObject({ copied: [], skipped: 2, bytesCopied: 0 });
    const verified = await cli(['backup', 'verify', b.url, '--deep', '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json<VerifyReport>()).toMatchObject({ ok: true, backups: 2, archivesRead: 2 });
    const [first] = Object.keys((await cli(['backup', 'list', b.url])).json<object>());
    await expectRestores(first!);

    const onS3 = 's3://convoy-copy@us-east-1/site-c';
    const toS3 = await cli(['backup', 'copy', '--from', b.url, '--to', onS3, '--s3-endpoint', s3.endpoint, '--table']);
    expect(toS3.code, toS3.stderr).toBe(0);
    expect(toS3.stdout).toMatch(/^2 backup\(s\) copied, 0 already there; .*B transferred in 0 block\(s\) and 2 archive\(s\)/m);
    expect(await listed(onS3, ['--s3-endpoint', s3.endpoint])).toEqual(await listed(a.url));
    const back = await newStore('from-s3');
    expect((await copy(['--from', onS3, '--to', back.url, '--s3-endpoint', s3.endpoint])).copied).toHaveLength(2);
    expect(await listed(back.url)).toEqual(await listed(a.url));
  });

  it('re-seals an encrypted volume for the target key; no key material in what the daemon answers', async () => {
    const a = await newStore('enc-a');
    const b = await newStore('enc-b');
    const created = await cli(['backup', 'create', 'db1-s1', '--dest', a.url, '--encrypt', '--encryption-key-file', keyFile]);
    expect(created.code, created.stderr).toBe(0);
    const res = await cli([
      'backup',
      'copy',
      '--from',
      a.url,
      '--to',
      b.url,
      '--encryption-key-file',
      keyFile,
      '--to-encryption-key-file',
      targetKeyFile,
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    for (const secret of [await readFile(keyFile), await readFile(targetKeyFile)]) {
      for (const text of [res.stdout, res.stderr]) {
        expect(text).not.toContain(secret.toString('base64'));
        expect(text).not.toContain(secret.toString('hex'));
      }
    }
    expect(await listed(b.url, ['--encryption-key-file', targetKeyFile])).toEqual(await listed(a.url, ['--encryption-key-file', keyFile]));
    // Sealed for the target's key: the source's does not open it.
    expect((await cli(['backup', 'list', b.url, '--encryption-key-file', keyFile])).code).toBe(1);
    const [url] = Object.keys((await cli(['backup', 'list', b.url, '--encryption-key-file', targetKeyFile])).json<object>());
    await expectRestores(url!, ['--encryption-key-file', targetKeyFile]);

    // The target holds it unencrypted: refused, nothing written.
    const clear = await newStore('clear');
    expect((await cli(['backup', 'create', 'db1-s2', '--dest', clear.url])).code).toBe(0);
    const before = await storeFiles(clear.root);
    const refused = await cli(['backup', 'copy', '--from', a.url, '--to', clear.url, '--encryption-key-file', keyFile, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('unencrypted'),
    });
    expect(await storeFiles(clear.root)).toEqual(before);
  });

  it('copies every volume of a store past one with a corrupt volume.cfg, fails naming it on a line of its own, and a re-run after repair copies only it', async () => {
    const a = await newStore('three-a');
    const b = await newStore('three-b');
    for (const volume of ['db1', 'db2', 'db3']) {
      if (volume !== 'db1') {
        expect((await cli(['create', volume])).code).toBe(0);
        await writeFile(path.join((await cli(['mount', volume])).stdout.trim(), 'table.bin'), payload);
        expect((await cli(['snapshot', 'create', volume, '--name', `${volume}-s1`])).code).toBe(0);
      }
      const created = await cli(['backup', 'create', `${volume}-s1`, '--dest', a.url]);
      expect(created.code, created.stderr).toBe(0);
    }
    const cfg = path.join(a.root, (await storeFiles(a.root)).find((f) => f.endsWith('volume.cfg') && f.includes('/db2'))!);
    const original = await readFile(cfg);
    await writeFile(cfg, original.subarray(0, 20));

    const table = await cli(['backup', 'copy', '--from', a.url, '--to', b.url, '--table']);
    expect(table.code).toBe(1);
    const lines = table.stderr.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^convoy: volume db1: 1 backup\(s\) copied, 0 already there, /));
    expect(lines).toContainEqual(expect.stringMatching(/^convoy: volume db2 NOT copied: CORRUPT: .*volume\.cfg/));
    expect(lines).toContainEqual(expect.stringMatching(/^convoy: volume db3: 1 backup\(s\) copied, /));
    expect(lines.at(-1)).toMatch(/^convoy: 1 of 3 volume\(s\) could not be copied .*db2 \(CORRUPT/);
    expect((await listed(b.url)).map((l) => l['VolumeName']).sort()).toEqual(['db1', 'db3']);
    const verified = await cli(['backup', 'verify', b.url, '--deep', '--json']);
    expect(verified.code, verified.stderr).toBe(0);

    // --json: the error carries the whole report; a script sees exit 1.
    const json = await cli(['backup', 'copy', '--from', a.url, '--to', b.url, '--json']);
    expect(json.code).toBe(1);
    const error = json.json<{ error: { code: string; details: { failed: Array<{ volumeName: string }>; report: CopyReport } } }>().error;
    expect(error.code).toBe('CORRUPT');
    expect(error.details.failed.map((f) => f.volumeName)).toEqual(['db2']);
    expect(error.details.report).toMatchObject({ copied: [], skipped: 2 });
    expect(error.details.report.volumes.map((v) => [v.volumeName, v.error?.code])).toEqual([
      ['db1', undefined],
      ['db2', 'CORRUPT'],
      ['db3', undefined],
    ]);

    await writeFile(cfg, original);
    const repaired = await copy(['--from', a.url, '--to', b.url]);
    expect(repaired.copied.map((c) => c.volumeName)).toEqual(['db2']);
    expect(repaired.skipped).toBe(2);
    expect(await listed(b.url)).toEqual(await listed(a.url));
    const done = await cli(['backup', 'copy', '--from', a.url, '--to', b.url, '--table']);
    expect(done.code, done.stderr).toBe(0);
    for (const volume of ['db1', 'db2', 'db3']) expect(done.stdout).toContain(`volume ${volume}: 0 backup(s) copied, 1 already there, `);
  });

  it('refuses bad input by name and writes nothing', async () => {
    const a = await newStore('bad-a');
    const b = await newStore('bad-b');
    expect((await cli(['backup', 'create', 'db1-s1', '--dest', a.url])).code).toBe(0);
    const linked = path.join(dir, 'stores', 'bad-a-link');
    await import('node:fs/promises').then((fs) => fs.symlink(a.root, linked));
    const beforeA = await storeFiles(a.root);
    const cases: Array<[string[], string]> = [
      [['--from', a.url, '--to', a.url], 'same store'],
      [['--from', a.url, '--to', `vfs://${linked}`], 'same store'],
      [['--from', a.url, '--to', 'nonsense'], 'nonsense'],
      [['--from', a.url, '--to', `vfs://${path.join(dir, 'no-such-dir')}`], 'no-such-dir'],
      [['--from', a.url, '--to', 'ftp://host/x'], 'ftp'],
      [['--from', a.url, '--to', b.url, '--volume-name', 'nope'], 'nope'],
      [['--from', a.url, '--to', b.url, '--backup', `${b.url}?backup=backup-0000000000000000&volume=db1`], 'not in the source store'],
      [['--from', `${a.url}?backup=x&volume=db1`, '--to', b.url], 'store URL, not a backup URL'],
    ];
    for (const [args, mention] of cases) {
      const res = await cli(['backup', 'copy', ...args, '--json']);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.json<{ error: { message: string } }>().error.message, args.join(' ')).toContain(mention);
    }
    expect(await storeFiles(b.root)).toEqual([]);
    expect(await storeFiles(a.root)).toEqual(beforeA);
  });
});
