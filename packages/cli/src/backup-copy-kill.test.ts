// The daemon SIGKILLed in the middle of `backup copy`: the target holds no backup whose data is
// missing, and the same command, run again on the restarted daemon, finishes the copy.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CopyReport, VerifyReport } from '@convoy/backup-store';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { bundleDaemon, startDaemonProcess } from '../test/daemon-process.js';

const dir = await tempDir('convoy-copy-kill-');
await bundleDaemon();
const startDaemon = () => startDaemonProcess(testDaemonConfig(dir));
const cli = (args: string[]) => convoy(['--socket', path.join(dir, 'convoy.sock'), ...args]);

/** Bytes of archives (and their temp files) under a directory store. */
async function archiveBytes(storeDir: string): Promise<number> {
  let bytes = 0;
  for (const file of await readdir(storeDir, { recursive: true }).catch(() => [] as string[])) {
    if (file.includes('.bak')) bytes += (await stat(path.join(storeDir, file)).catch(() => ({ size: 0 }))).size;
  }
  return bytes;
}

async function listed(store: string) {
  const res = await cli(['backup', 'list', store]);
  expect(res.code, res.stderr).toBe(0);
  return Object.values(res.json<Record<string, Record<string, string>>>())
    .map(({ BackupURL: _, ...rest }) => rest)
    .sort((a, b) => a['BackupName']!.localeCompare(b['BackupName']!));
}

describe('the daemon SIGKILLed during a backup copy', () => {
  it('leaves only whole backups in the target; the same command run again completes the copy, which verifies and restores', async () => {
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    const [fromDir, toDir] = [path.join(dir, 'site-a'), path.join(dir, 'site-b')];
    await mkdir(fromDir);
    await mkdir(toDir);
    const [from, to] = [`vfs://${fromDir}`, `vfs://${toDir}`];
    let daemon = await startDaemon();
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
      // Random data: the archives cannot shrink, so the copy takes long enough to be caught.
      const payload = randomBytes(64 * 1024 * 1024);
      await writeFile(path.join(mountpoint, 'table.bin'), payload);
      expect((await cli(['snapshot', 'create', 'db', '--name', 'db-s1'])).code).toBe(0);
      expect((await cli(['snapshot', 'create', 'db', '--name', 'db-s2'])).code).toBe(0);
      for (const snapshot of ['db-s1', 'db-s2']) expect((await cli(['backup', 'create', snapshot, '--dest', from, '--compression', 'none'])).code).toBe(0);

      const copying = cli(['backup', 'copy', '--from', from, '--to', to]);
      while ((await archiveBytes(toDir)) < 8 * 1024 * 1024) await sleep(5);
      daemon.child.kill('SIGKILL');
      expect((await copying).code).not.toBe(0);

      daemon = await startDaemon();
      // Whatever the kill cut short has no record; what has a record restores.
      const survivors = await listed(to);
      expect(survivors.length).toBeLessThan(2);
      const partial = await cli(['backup', 'verify', to, '--deep', '--json']);
      expect(partial.json<VerifyReport>().problems).toEqual([]);

      const resumed = await cli(['backup', 'copy', '--from', from, '--to', to, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.json<CopyReport>()).toMatchObject({ skipped: survivors.length });
      expect(resumed.json<CopyReport>().copied).toHaveLength(2 - survivors.length);
      const verified = await cli(['backup', 'verify', to, '--deep', '--json']);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.json<VerifyReport>()).toMatchObject({ ok: true, backups: 2, archivesRead: 2 });
      expect(await listed(to)).toEqual(await listed(from));
      const [url] = Object.keys((await cli(['backup', 'list', to])).json<object>());
      expect((await cli(['create', 'db-copy', '--backup', url!])).code).toBe(0);
      expect((await readFile(path.join((await cli(['mount', 'db-copy'])).stdout.trim(), 'table.bin'))).equals(payload)).toBe(true);
    } finally {
      await daemon.stop();
    }
  });
});
