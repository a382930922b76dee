import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';
import type { RunningDaemon } from './daemon/start-daemon.js';

const dir = await tempDir('convoy-backup-cli-');
const s3 = await startS3rver({ buckets: ['convoy-cli'] });
// The daemon runs in this process; the S3 store takes credentials from the SDK's default chain.
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

describe('convoy backup commands against a real daemon (vfs:// and s3:// stores)', () => {
  let daemon: RunningDaemon;
  const store = `vfs://${path.join(dir, 'store')}`;
  const payload = randomBytes(3 * 1024 * 1024 + 17);
  const cli = (args: string[], opts: { tty?: boolean } = {}) => convoy(['--socket', daemon.socketPath, ...args], opts);

  beforeAll(async () => {
    await mkdir(path.join(dir, 'store'));
    daemon = await startTestDaemon(dir);
    await cli(['create', 'db1']);
    const mountpoint = (await cli(['mount', 'db1'])).stdout.trim();
    await writeFile(path.join(mountpoint, 'table.bin'), payload);
    await cli(['snapshot', 'create', 'db1', '--name', 'db1-s1']);
  });
  afterAll(async () => {
    await daemon.stop();
  });

  it('backs a snapshot up, prints the URL, lists, inspects, restores bit-exact, and deletes', async () => {
    const created = await cli(['backup', 'create', 'db1-s1', '--dest', store, '--compression', 'gzip']);
    expect(created.code).toBe(0);
    // Piped, the URL comes as Go Convoy printed it: its & spelt \u0026, safe in a shell.
    expect(created.stdout).toMatch(new RegExp(`^${store}\\?backup=backup-[0-9a-f]{16}\\\\u0026volume=db1\n$`));
    const url = created.stdout.trim().replace('\\u0026', '&');

    // On a terminal: the backup's name as a short ID (never the URL), what it stored, its age,
    // every line within the terminal's width (the capture says 100 columns).
    const list = await cli(['backup', 'list', store], { tty: true });
    expect(list.stdout).toMatch(/^ID\s+VOLUME\s+SNAPSHOT\s+CREATED\s+STORED\s+COMPRESSION$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^${url.split('backup=')[1]!.split('&')[0]}\\s+db1\\s+db1-s1\\s+(less than a second|\\d+ seconds?) ago\\s+\\d+\\.\\d (KiB|MiB)\\s+gzip$`, 'm'),
    );
    expect(list.stdout).not.toContain('vfs://');
    expect(list.stdout.split('\n').filter((line) => line.length > 100)).toEqual([]);
    const listed = (await cli(['backup', 'list', store, '--volume-name', 'db1'])).json<Record<string, { BackupURL: string; CompressionMethod: string }>>();
    expect(listed).toEqual({ [url]: expect.objectContaining({ BackupURL: url, CompressionMethod: 'gzip' }) });

    const inspected = (await cli(['backup', 'inspect', url])).json();
    expect(inspected).toMatchObject({ BackupURL: url, VolumeName: 'db1', SnapshotName: 'db1-s1', CompressionMethod: 'gzip', BackupMode: 'single-file' });

    expect((await cli(['create', 'db1-restored', '--backup', url])).stdout).toBe('db1-restored\n');
    const mountpoint = (await cli(['mount', 'db1-restored'])).stdout.trim();
    expect((await readFile(path.join(mountpoint, 'table.bin'))).equals(payload)).toBe(true);

    expect((await cli(['backup', 'delete', url])).code).toBe(0);
    expect((await cli(['backup', 'list', store, '--table'])).stdout).toBe('no backups\n');
    expect((await cli(['backup', 'list', store])).json()).toEqual({});
  });

  it("accepts Convoy's \\u0026 spelling of & in backup URLs", async () => {
    const url = (await cli(['backup', 'create', 'db1-s1', '--dest', store, '--table'])).stdout.trim();
    const escaped = url.replace('&', '\\u0026');
    expect((await cli(['backup', 'inspect', escaped])).json()).toMatchObject({ BackupURL: url, CompressionMethod: 'lz4' });
    expect((await cli(['create', 'db1-escaped', '--backup', escaped])).code).toBe(0);
    expect((await cli(['backup', 'delete', escaped])).code).toBe(0);
  });

  it('shows a progress bar on a terminal and nothing with --json', async () => {
    const onTty = await cli(['backup', 'create', 'db1-s1', '--dest', store], { tty: true });
    expect(onTty.code).toBe(0);
    expect(onTty.stderr).toMatch(/\r\S+ .*B\/s/);
    expect(onTty.stdout).toMatch(/^vfs:\/\/.*\?backup=.*\n$/);

    const json = await cli(['backup', 'create', 'db1-s1', '--dest', store, '--json'], { tty: true });
    expect(json.stderr).toBe('');
    expect(json.json()).toEqual({ URL: expect.stringMatching(/^vfs:\/\/.*\?backup=backup-[0-9a-f]{16}&volume=db1$/) });
    const report = (await cli(['backup', 'prune', store, '--grace', '0s', '--json'])).json();
    expect(report).toMatchObject({ blocksRemoved: 0 });
  });

  it('takes --s3-endpoint before or after the subcommand, and refuses it with a vfs:// store', async () => {
    for (const args of [
      ['backup', '--s3-endpoint', 'http://127.0.0.1:1', 'list', store],
      ['backup', 'list', store, '--s3-endpoint', 'http://127.0.0.1:1'],
    ]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(/^convoy: .*endpoint.*s3/i);
    }
  });

  it('backs up to S3 and restores with --s3-endpoint (s3rver on 127.0.0.1)', async () => {
    const dest = 's3://convoy-cli@us-east-1/backups';
    const url = (await cli(['backup', '--s3-endpoint', s3.endpoint, 'create', 'db1-s1', '--dest', dest, '--table'])).stdout.trim();
    expect(url).toMatch(/^s3:\/\/convoy-cli@us-east-1\/backups\?backup=backup-[0-9a-f]{16}&volume=db1$/);
    // s3rver 3.7.1 leaves out common prefixes whose objects all sit deeper down, so a listing of
    // every volume in the store comes back empty there; naming the volume lists it directly.
    const listed = (await cli(['backup', 'list', dest, '--volume-name', 'db1', '--s3-endpoint', s3.endpoint])).json<object>();
    expect(Object.keys(listed)).toEqual([url]);

    const restored = await cli(['create', 'db1-from-s3', '--backup', url, '--s3-endpoint', s3.endpoint]);
    expect(restored).toMatchObject({ code: 0, stdout: 'db1-from-s3\n' });
    const mountpoint = (await cli(['mount', 'db1-from-s3'])).stdout.trim();
    expect((await readFile(path.join(mountpoint, 'table.bin'))).equals(payload)).toBe(true);

    expect((await cli(['backup', '--s3-endpoint', s3.endpoint, 'delete', url])).code).toBe(0);
    const after = await cli(['backup', 'inspect', url, '--s3-endpoint', s3.endpoint]);
    expect(after.stderr).toMatch(/^convoy: .*does not exist/);
    const noBucket = await cli(['backup', 'list', 's3://no-such-bucket@us-east-1/x', '--s3-endpoint', s3.endpoint]);
    expect(noBucket.code).toBe(1);
    expect(noBucket.stderr).toMatch(/^convoy: .*no-such-bucket/);
  });

  it("opens S3 stores with the daemon's --store-opts: with s3.pageSize=2 a listing of three backups takes pages of two", async () => {
    const dest = 's3://convoy-cli@us-east-1/paged';
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push((await cli(['backup', 'create', 'db1-s1', '--dest', dest, '--s3-endpoint', s3.endpoint, '--table'])).stdout.trim());
    const proxy = await startFaultProxy(s3.endpoint);
    const paged = await startTestDaemon(path.join(dir, 'paged'), { storeOptions: { 's3.pageSize': '2' } });
    try {
      const pagedCli = (args: string[]) => convoy(['--socket', paged.socketPath, ...args]);
      expect((await pagedCli(['info'])).json()).toMatchObject({ General: { StoreOptions: { 's3.pageSize': '2' } } });
      const listed = await pagedCli(['backup', 'list', dest, '--volume-name', 'db1', '--s3-endpoint', proxy.endpoint]);
      expect(Object.keys(listed.json<object>()).sort()).toEqual(urls.sort());
      const listings = proxy.requests.map((r) => new URL(r.url, proxy.endpoint).searchParams).filter((q) => q.get('list-type') === '2');
      expect(listings.length).toBeGreaterThan(1);
      expect(listings.map((q) => q.get('max-keys'))).toEqual(listings.map(() => '2'));
      expect(listings.some((q) => q.has('continuation-token'))).toBe(true);
    } finally {
      await paged.stop();
    }
  });

  it('bad backup input gets one clear line and changes nothing', async () => {
    const before = Object.keys((await cli(['backup', 'list', store])).json<object>()).length;
    const cases: Array<[string[], RegExp]> = [
      [['backup', 'create', 'nosuchsnap', '--dest', store], /nosuchsnap/],
      // An unknown scheme lists the ones there are.
      [['backup', 'create', 'db1-s1', '--dest', 'ftp://host/x'], /unknown backup store "ftp" \(use one of: s3, vfs\)/],
      // A volume's name where a snapshot is wanted: say so, and name its latest snapshot.
      [
        ['backup', 'create', 'db1', '--dest', store],
        /^convoy: db1 is a volume, and backup create takes a snapshot of one: its latest is db1-s1 \(`convoy backup create db1-s1 --dest \.\.\.`\)$/m,
      ],
      [['backup', 'create', 'db1-s1', '--dest', 'not a url'], /URL/],
      [['backup', 'create', 'db1-s1', '--dest', store, '--block-size', 'big'], /--block-size "big" is not a size/],
      [['backup', 'create', 'db1-s1', '--dest', store, '--block-size', '96K'], /power of two from 65536/],
      // A directory volume is archived whole: a block size means nothing for it.
      [['backup', 'create', 'db1-s1', '--dest', store, '--block-size', '64K'], /delta-block backups only/],
      [['backup', 'create', 'db1-s1', '--dest', store, '--compression', 'zstd'], /zstd compresses delta-block backups only/],
      [['backup', 'inspect', `${store}?backup=../x&volume=db1`], /name/],
      [['backup', 'inspect', store], /backup=/],
      [['create', 'nope1', '--backup', `${store}?backup=backup-0000000000000000&volume=db1`], /backup-0000000000000000/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
      expect(res.stderr.split('\n'), args.join(' ')).toHaveLength(2);
    }
    expect(Object.keys((await cli(['backup', 'list', store])).json<object>())).toHaveLength(before);
    expect((await cli(['inspect', 'nope1'])).code).toBe(1);
    expect((await cli(['backup', 'create', 'db1', '--dest', store, '--json'])).json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', details: { volume: 'db1', latestSnapshot: 'db1-s1' } },
    });
    // A volume without snapshots: how to take one.
    expect((await cli(['create', 'bare1'])).code).toBe(0);
    expect((await cli(['backup', 'create', 'bare1', '--dest', store])).stderr).toBe(
      'convoy: bare1 is a volume, and backup create takes a snapshot of one: it has none yet: take one with `convoy snapshot create bare1`, then back that up\n',
    );
    expect((await cli(['delete', 'bare1'])).code).toBe(0);
  });
});
