import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { bundleDaemon, startDaemonProcess } from '../test/daemon-process.js';

/**
 * The daemon as a real process, SIGKILLed while `convoy create NAME --backup URL --standby`
 * extracts the backup (vfs): restarted on the same root it shows no such volume (the create's
 * record, if left, is inert: start-up removes no record, whose volume may be on a driver left out
 * of that start), and the same create then runs to the end, bit-exact and standby. The
 * manager-level kills at each step (before the first block, mid-way, around the commit) are in
 * integration/src/standby-create-kill.test.ts.
 */
const dir = await tempDir('convoy-standby-create-kill-');
await bundleDaemon();
const config = testDaemonConfig(dir);
const startDaemon = () => startDaemonProcess(config);
const cli = (args: string[]) => convoy(['--socket', config.socketPath, ...args]);

/** Bytes under a directory, recursively (a missing one holds none). */
async function bytesUnder(root: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) bytes += (await stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return bytes;
}

describe('the daemon SIGKILLed during create --standby', () => {
  it('leaves no volume; restarted, the same create makes a complete standby', async () => {
    const volumes = path.join(dir, 'volumes');
    await mkdir(volumes, { recursive: true });
    const storeDir = path.join(dir, 'store');
    await mkdir(storeDir);
    const store = `vfs://${storeDir}`;
    let daemon = await startDaemon();
    let url: string;
    // Random data: the archive cannot shrink, so the restore takes long enough to be caught.
    const payload = randomBytes(160 * 1024 * 1024);
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      await writeFile(path.join((await cli(['mount', 'db'])).stdout.trim(), 'table.bin'), payload);
      expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
      const made = await cli(['--json', 'backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
      expect(made.code, made.stderr).toBe(0);
      url = JSON.parse(made.stdout).URL;

      const creating = cli(['create', 'dr', '--backup', url, '--standby']);
      // The restore extracts into the driver's temp area (vfs.path/.convoy-tmp); killed once 16 MiB are there.
      while ((await bytesUnder(path.join(volumes, '.convoy-tmp'))) < 16 * 1024 * 1024) await sleep(5);
      daemon.child.kill('SIGKILL');
      expect((await creating).code).not.toBe(0);
    } catch (err) {
      await daemon.stop();
      throw err;
    }

    daemon = await startDaemon();
    try {
      const inspect = await cli(['--json', 'inspect', 'dr']);
      expect(JSON.parse(inspect.stdout).error.code).toBe('NOT_FOUND');
      expect((await cli(['list'])).stdout, 'no volume dr is listed').not.toMatch(/^dr\s/m);

      const again = await cli(['create', 'dr', '--backup', url, '--standby']);
      expect(again.code, again.stderr).toBe(0);
      const standby = JSON.parse((await cli(['inspect', 'dr'])).stdout);
      expect(standby.Standby).toMatchObject({ backupUrl: url, status: expect.stringMatching(/^holds backup-/) });
      expect((await readFile(path.join(standby.DriverInfo.Path, 'table.bin'))).equals(payload)).toBe(true);
      expect((await cli(['mount', 'dr'])).code, 'still a standby').not.toBe(0);
    } finally {
      await daemon.stop();
    }
  });
});
