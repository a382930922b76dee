import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VerifyReport } from '@convoy/backup-store';
import { describe, expect, it } from 'vitest';
import { backupEachCompression, mutationCases, startFuzzDaemon } from '../test/archive-fuzz.js';

/**
 * The restore fuzz test's mutations, each put before both a restore and `backup verify --deep` by
 * a real daemon: verify checks what restore checks, so every archive a restore refuses, verify
 * reports (exit 3, naming the archive), and every archive that restores, verify passes (exit 0).
 * Bounded: 40 seeded cases, each answered within a deadline. Seed and case are in every message.
 */
const SEED = Number(process.env.CONVOY_FUZZ_SEED ?? 20261207);
const CASES = 40;
const DEADLINE_MS = 15_000;
const { storeDir, daemon, cli: run } = await startFuzzDaemon('convoy-verify-fuzz-');
const cli = async (args: string[]) => {
  const res = await Promise.race([run(args), sleep(DEADLINE_MS, undefined)]);
  if (!res) throw new Error(`convoy ${args.join(' ')}: no answer within ${DEADLINE_MS} ms`);
  return res;
};

describe('verify --deep of mutated single-file backups by a real daemon', () => {
  it(`reports every archive restore refuses, and passes every one it restores (seed ${SEED})`, async () => {
    expect((await cli(['create', 'src'])).code).toBe(0);
    const mountpoint = (await cli(['mount', 'src'])).stdout.trim();
    await mkdir(path.join(mountpoint, 'base'), { recursive: true });
    await writeFile(path.join(mountpoint, 'base/data.bin'), randomBytes(40 * 1024));
    await writeFile(path.join(mountpoint, 'base/text.txt'), 'hello '.repeat(2000));
    expect((await cli(['snapshot', 'create', 'src', '--name', 'src-snap'])).code).toBe(0);
    const backups = await backupEachCompression(cli, 'src-snap', storeDir);

    let refused = 0;
    for (const { i, target, mutated, context } of mutationCases(SEED, CASES, backups)) {
      await writeFile(target.archive, mutated);
      const restore = await cli(['create', `r${i}`, '--backup', target.url]);
      const verify = await cli(['backup', 'verify', target.url, '--deep', '--json']);
      if (restore.code === 0) {
        expect(verify.code, `${context}: restored, yet verify says ${verify.stdout}`).toBe(0);
        expect((await cli(['delete', `r${i}`])).code, context).toBe(0);
      } else {
        refused += 1;
        expect(verify.code, `${context}: restore refused (${restore.stderr.trim()}), verify says ${verify.stdout}${verify.stderr}`).toBe(3);
        const report = verify.json<VerifyReport>();
        expect(report.problems, context).toEqual([expect.objectContaining({ kind: 'corrupt-archive', key: expect.stringContaining(target.name) })]);
        expect(report.damagedBackups, context).toEqual([target.url]);
      }
      await writeFile(target.archive, target.pristine);
      expect(daemon.alive(), `${context}: the daemon died: ${daemon.stderr()}`).toBe(true);
    }
    expect(refused).toBeGreaterThan(CASES / 2);
  });
});
