import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { bundleDaemon, startDaemonProcess } from '../test/daemon-process.js';

/**
 * The daemon as a real process, SIGKILLed in the middle of a backup: the store must hold no
 * half backup, the restarted daemon (same root, stale root lock) must run the same command to
 * the end, the backup must restore to the same bytes, and the dead daemon's store lock must
 * not hold up a delete.
 */
const dir = await tempDir('convoy-daemon-kill-');
await bundleDaemon();
const startDaemon = () => startDaemonProcess(testDaemonConfig(dir));

const cli = (args: string[]) => convoy(['--socket', path.join(dir, 'convoy.sock'), ...args]);

async function archiveBytes(storeDir: string): Promise<number> {
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.name.includes('.bak')) bytes += (await stat(p)).size;
    }
  };
  await walk(storeDir);
  return bytes;
}

describe('the daemon SIGKILLed during a backup', () => {
  it('leaves no half backup; restarted on the same root, the same command succeeds and restores', async () => {
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    const storeDir = path.join(dir, 'store');
    await mkdir(storeDir);
    const store = `vfs://${storeDir}`;
    let daemon = await startDaemon();

    expect((await cli(['create', 'db'])).code).toBe(0);
    const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
    // Random data: the archive cannot shrink, so the backup takes long enough to be caught.
    const payload = randomBytes(160 * 1024 * 1024);
    await writeFile(path.join(mountpoint, 'table.bin'), payload);
    await writeFile(path.join(mountpoint, 'PG_VERSION'), '16\n');
    expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);

    const backup = cli(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
    while ((await archiveBytes(storeDir)) < 16 * 1024 * 1024) await sleep(5);
    daemon.child.kill('SIGKILL');
    expect((await backup).code).not.toBe(0);

    daemon = await startDaemon();
    try {
      expect((await cli(['backup', 'list', store])).json()).toEqual({});
      // The killed backup's temp file is no object (nothing lists it); prune finds and names it.
      const [leftover] = (await readdir(storeDir, { recursive: true })).filter((f) => f.endsWith('.tmp'));
      expect(leftover).toMatch(/\.backup-[0-9a-f]{16}\.bak\.[0-9a-f]{12}\.tmp$/);
      const pruned = await cli(['backup', 'prune', store, '--grace', '0s', '--table']);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(pruned.stdout).toContain(`removed ${leftover}, left by an interrupted write`);
      expect((await readdir(storeDir, { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const rerun = await cli(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none', '--table']);
      expect(rerun.code, rerun.stderr).toBe(0);
      const url = rerun.stdout.trim();
      expect(Object.keys((await cli(['backup', 'list', store])).json<object>())).toEqual([url]);
      expect((await cli(['create', 'db-restored', '--backup', url])).code).toBe(0);
      const restored = (await cli(['mount', 'db-restored'])).stdout.trim();
      expect((await readFile(path.join(restored, 'table.bin'))).equals(payload)).toBe(true);
      // The killed daemon's store lock (same host, its process gone) blocks nothing: deleting
      // the backup, which excludes every other lock, goes through at once, not after 150 s.
      const deleted = await cli(['backup', 'delete', url]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect((await cli(['backup', 'list', store])).json()).toEqual({});
    } finally {
      await daemon.stop();
    }
  });
});
