import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openS3ObjectStore } from '@convoy/objectstore-s3';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { startDaemonProcess } from '../test/daemon-process.js';

/**
 * SIGTERM while a backup hangs on an S3 server that accepts its upload and never answers (and
 * whose request timeout is far away): the daemon cancels the backup after its grace period,
 * releases the store lock, removes its socket and Docker spec file, and exits, in bounded time.
 */
const MiB = 1024 * 1024;
const dir = await tempDir('convoy-daemon-stop-');
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
/** Far beyond the grace periods (2 × 500 ms): only a daemon that does not stop reaches it. */
const HANG_MS = 20_000;

describe('convoy daemon stopped by SIGTERM during a hung backup', () => {
  it('cancels it, releases the store lock, removes the socket and the spec file, and exits', async () => {
    const s3 = await startS3rver({ buckets: ['hung'] });
    const proxy = await startFaultProxy(s3.endpoint);
    proxy.inject({ fault: 'stall', match: (r) => r.url.includes('BackupFiles'), times: 1000 });
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    const pluginDir = path.join(dir, 'docker-plugins');
    const config = { ...testDaemonConfig(dir), stopGraceMs: 500, docker: { pluginDir, pluginName: 'convoy-test', required: true } };
    const daemon = await startDaemonProcess(config);
    const specFile = path.join(pluginDir, 'convoy-test.spec');
    await access(specFile);

    const cli = (args: string[]) => convoy(['--socket', config.socketPath, ...args]);
    expect((await cli(['create', 'db'])).code).toBe(0);
    await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'table.bin'), randomBytes(MiB));
    expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
    const backup = cli(['backup', 'create', 'db-snap', '--dest', 's3://hung@us-east-1/x', '--s3-endpoint', proxy.endpoint]);
    while (proxy.injected.stall === 0) await sleep(20);

    const started = Date.now();
    const exit = await Promise.race([daemon.stop(), sleep(HANG_MS, 'still running')]);
    expect(exit, daemon.stderr()).toBe(0);
    expect(Date.now() - started).toBeLessThan(HANG_MS);
    expect((await backup).code).not.toBe(0);
    await expect(access(specFile)).rejects.toThrow(/ENOENT/);
    await expect(access(config.socketPath)).rejects.toThrow(/ENOENT/);

    const store = await openS3ObjectStore(new URL('s3://hung@us-east-1/x'), { endpoint: s3.endpoint });
    const keys: string[] = [];
    for await (const { key } of store.list('convoy-objectstore/')) keys.push(key);
    expect(
      keys.filter((k) => k.includes('/locks/')),
      daemon.stderr() + daemon.stdout(),
    ).toEqual([]);
    await store.close();
  });
});
