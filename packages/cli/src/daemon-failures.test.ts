import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { describeNeeding } from '@convoy/test-support/gate';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { canMountTmpfs, mountSmallTmpfs } from '@convoy/test-support/tmpfs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { type DaemonProcess, startDaemonProcess } from '../test/daemon-process.js';

/**
 * The daemon as a real process, with real failures under each stage of a single-file backup and
 * restore: a full store disk, an S3 server answering 500, a garbage archive, a full volume
 * disk. Every operation must fail with a clear error, promptly, leave nothing behind, and the
 * daemon must go on serving.
 */
const MiB = 1024 * 1024;
const dir = await tempDir('convoy-daemon-failures-');

describeNeeding(canMountTmpfs, 'a real daemon process when a single-file backup or restore fails', () => {
  const s3Env = { ...process.env, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
  let daemon: DaemonProcess;
  const socket = path.join(dir, 'convoy.sock');
  const cli = (args: string[]) => convoy(['--socket', socket, ...args]);
  const goodStore = path.join(dir, 'store');
  let fullStore: string;

  beforeAll(async () => {
    fullStore = await mountSmallTmpfs(2 * MiB);
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    await mkdir(goodStore);
    daemon = await startDaemonProcess({ ...testDaemonConfig(dir), storeOptions: { 's3.maxAttempts': '2' } }, s3Env);
    expect((await cli(['create', 'db'])).code).toBe(0);
    const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
    await writeFile(path.join(mountpoint, 'table.bin'), randomBytes(4 * MiB));
    expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
  });
  afterAll(() => daemon?.stop());

  async function expectAlive(): Promise<void> {
    expect(daemon.alive(), daemon.stderr()).toBe(true);
    expect((await cli(['list', '--json'])).code).toBe(0);
  }

  it('a store disk that fills up fails the backup with ENOSPC; the daemon lives on and the store holds no backup and no temp file', async () => {
    const res = await cli(['backup', 'create', 'db-snap', '--dest', `vfs://${fullStore}`, '--compression', 'none']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no space left|ENOSPC/i);
    await expectAlive();
    expect((await cli(['backup', 'list', `vfs://${fullStore}`, '--table'])).stdout).toBe('no backups\n');
    const leftovers = (await readdir(fullStore, { recursive: true })).filter((f) => f.includes('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('an S3 server answering 500 to every upload fails the backup; the daemon lives on', async () => {
    const s3 = await startS3rver({ buckets: ['failing'] });
    const proxy = await startFaultProxy(s3.endpoint);
    proxy.inject({ fault: 'internal-error', match: (r) => (r.method === 'PUT' || r.method === 'POST') && r.url.includes('BackupFiles'), times: 1000 });
    const res = await cli(['backup', 'create', 'db-snap', '--dest', 's3://failing@us-east-1/x', '--s3-endpoint', proxy.endpoint, '--compression', 'none']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/500|InternalError|internal error/i);
    expect(proxy.injected['internal-error']).toBeGreaterThan(0);
    await expectAlive();
  });

  it('a download that keeps being cut fails the restore once the attempts are spent; the daemon lives on and nothing is left', async () => {
    const s3 = await startS3rver({ buckets: ['cut'] });
    const dest = 's3://cut@us-east-1/x';
    const url = (await cli(['backup', 'create', 'db-snap', '--dest', dest, '--s3-endpoint', s3.endpoint, '--compression', 'none'])).stdout.trim();
    const proxy = await startFaultProxy(s3.endpoint);
    proxy.inject({ fault: 'cut-response', match: (r) => r.method === 'GET' && r.url.includes('BackupFiles'), times: 1000 });
    const res = await cli(['create', 'db-cut', '--backup', url, '--s3-endpoint', proxy.endpoint]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/backup-[0-9a-f]{16}/);
    expect(proxy.injected['cut-response']).toBe(2);
    await expectAlive();
    expect(await readdir(path.join(dir, 'volumes/.convoy-tmp'))).toEqual([]);
    expect(Object.keys((await cli(['list'])).json<object>())).not.toContain('db-cut');
  });

  it('a garbage archive fails the restore at once; the name is free again and the daemon lives on', async () => {
    const url = (await cli(['backup', 'create', 'db-snap', '--dest', `vfs://${goodStore}`])).stdout.trim();
    const archives = (await readdir(goodStore, { recursive: true })).filter((f) => f.endsWith('.bak'));
    expect(archives).toHaveLength(1);
    await writeFile(path.join(goodStore, archives[0]!), 'not an archive');
    const res = await cli(['create', 'db-garbage', '--backup', url]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/backup-[0-9a-f]{16}/);
    await expectAlive();
    expect((await cli(['create', 'db-garbage'])).code).toBe(0);
  });

  it('a volume disk that fills up fails the restore with ENOSPC, leaves no partial volume, and that daemon lives on', async () => {
    const url = (await cli(['backup', 'create', 'db-snap', '--dest', `vfs://${goodStore}`, '--compression', 'none'])).stdout.trim();
    const small = path.join(dir, 'small-host');
    const volumes = await mountSmallTmpfs(2 * MiB);
    const other = await startDaemonProcess({ ...testDaemonConfig(small), driverOptions: { 'vfs.path': volumes } });
    try {
      const otherCli = (args: string[]) => convoy(['--socket', path.join(small, 'convoy.sock'), ...args]);
      const res = await otherCli(['create', 'db-copy', '--backup', url]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/no space left|ENOSPC/i);
      expect(other.alive(), other.stderr()).toBe(true);
      expect((await otherCli(['list'])).json()).toEqual({});
      // The driver's own (empty) directories, and nothing else: no partial volume, no temp dir.
      const left = await readdir(volumes, { recursive: true });
      expect(left.filter((f) => !['.convoy-tmp', '.snapshots', 'config'].includes(f))).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
