import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tree } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { backupEachCompression, mutationCases, startFuzzDaemon } from '../test/archive-fuzz.js';

/**
 * 200 seeded random mutations of valid single-file backups (bytes flipped, cut, appended, 512-byte
 * records swapped, the archive of another backup put in its place), each restored by a real
 * daemon process: every restore either gives back the snapshot bit-exact or fails with a clear
 * error within a deadline, leaves no volume and no temp directory behind, and the daemon lives.
 * Seed and mutation are in every failure message, so a failure reproduces.
 */
const SEED = Number(process.env.CONVOY_FUZZ_SEED ?? 20261130);
const CASES = 200;
const DEADLINE_MS = 15_000;
const { dir, storeDir, daemon, cli } = await startFuzzDaemon('convoy-restore-fuzz-');

async function noLeftovers(): Promise<void> {
  const names = Object.keys((await cli(['list'])).json<object>());
  expect(names).toEqual(['src']);
  expect(await readdir(path.join(dir, 'volumes/.convoy-tmp'))).toEqual([]);
}

describe('restore of 200 mutated single-file backups by a real daemon', () => {
  it(`restores bit-exact or fails cleanly, every time (seed ${SEED})`, async () => {
    expect((await cli(['create', 'src'])).code).toBe(0);
    const mountpoint = (await cli(['mount', 'src'])).stdout.trim();
    await mkdir(path.join(mountpoint, 'base/sub'), { recursive: true });
    await writeFile(path.join(mountpoint, 'base/sub/data.bin'), randomBytes(40 * 1024));
    await writeFile(path.join(mountpoint, 'base/text.txt'), 'hello '.repeat(2000));
    await symlink('/etc/hostname', path.join(mountpoint, 'abs-link'));
    expect((await cli(['snapshot', 'create', 'src', '--name', 'src-snap'])).code).toBe(0);
    const expected = await tree(mountpoint);
    const backups = await backupEachCompression(cli, 'src-snap', storeDir);

    let restored = 0;
    let refused = 0;
    for (const { i, target, mutated, context } of mutationCases(SEED, CASES, backups)) {
      // A swap of a record with itself or a cut at the very end changes nothing: that must restore.
      const changed = !mutated.equals(target.pristine);
      await writeFile(target.archive, mutated);
      const res = await Promise.race([cli(['create', `r${i}`, '--backup', target.url]), sleep(DEADLINE_MS, undefined)]);
      expect(res, `${context}: no answer within ${DEADLINE_MS} ms`).toBeDefined();
      expect(res!.code, `${context}: ${res!.stderr}`).toBe(changed ? 1 : 0);
      if (res!.code === 0) {
        const copy = (await cli(['mount', `r${i}`])).stdout.trim();
        expect(await tree(copy), context).toEqual(expected);
        await cli(['umount', `r${i}`]);
        expect((await cli(['delete', `r${i}`])).code, context).toBe(0);
        restored += 1;
      } else {
        expect(res!.stderr, context).toMatch(/^convoy: .*backup-[0-9a-f]{16}/);
        expect(res!.stderr.trim().split('\n'), context).toHaveLength(1);
        refused += 1;
      }
      await writeFile(target.archive, target.pristine);
      expect(daemon.alive(), `${context}: the daemon died: ${daemon.stderr()}`).toBe(true);
      await noLeftovers();
    }
    expect(restored + refused).toBe(CASES);
    expect(refused).toBeGreaterThan(CASES / 2);
  });
});
