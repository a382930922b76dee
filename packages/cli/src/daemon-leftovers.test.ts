import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultProxy } from '@convoy/test-support/fault-proxy';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { startDaemonProcess } from '../test/daemon-process.js';

/**
 * A daemon SIGKILLed in the middle of a restore leaves the half-extracted volume in its temp
 * area; the next start of the same daemon removes it, and says so in its log.
 */
const dir = await tempDir('convoy-daemon-leftovers-');
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

describe('what a killed restore leaves behind', () => {
  it('is removed by the next start of the daemon, which names it', async () => {
    const s3 = await startS3rver({ buckets: ['leftovers'] });
    const proxy = await startFaultProxy(s3.endpoint);
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    const config = testDaemonConfig(dir);
    const cli = (args: string[]) => convoy(['--socket', config.socketPath, ...args]);
    let daemon = await startDaemonProcess(config);
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'table.bin'), randomBytes(4 * 1024 * 1024));
      expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
      const url = (
        await cli(['backup', 'create', 'db-snap', '--dest', 's3://leftovers@us-east-1/x', '--s3-endpoint', s3.endpoint, '--compression', 'none'])
      ).stdout.trim();

      // The archive's download goes silent halfway: the restore sits with a partial tree.
      proxy.inject({ fault: 'stall-response', match: (r) => r.method === 'GET' && r.url.includes('BackupFiles') });
      const restore = cli(['create', 'db-copy', '--backup', url, '--s3-endpoint', proxy.endpoint]);
      const tmp = path.join(dir, 'volumes/.convoy-tmp');
      while (proxy.injected['stall-response'] === 0 || (await readdir(tmp)).length === 0) await sleep(20);
      const [partial] = await readdir(tmp);
      expect(partial).toMatch(/^restore-db-copy-/);
      daemon.child.kill('SIGKILL');
      expect((await restore).code).not.toBe(0);

      daemon = await startDaemonProcess({ ...config }, { ...process.env, CONVOY_TEST_LOG: '1' });
      expect(await readdir(tmp)).toEqual([]);
      expect(daemon.stdout()).toContain(partial);
      expect(Object.keys((await cli(['list'])).json<object>())).toEqual(['db']);
    } finally {
      await daemon.stop();
    }
  });
});
