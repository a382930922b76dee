import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '@convoy/test-support/seeded-random';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll } from 'vitest';
import { type CliRun, convoy, testDaemonConfig } from './cli-harness.js';
import { startDaemonProcess } from './daemon-process.js';

/**
 * What the restore and verify fuzz tests share, so both face the same damage: a real daemon
 * process with a directory store, single-file backups of one snapshot in every compression, and
 * seeded random mutations of a stored archive (bytes flipped, cut, appended, 512-byte tar records
 * swapped, another backup's archive in its place).
 */

/** A daemon process (vfs volumes, stopped after the test file) and an empty store directory beside it. */
export async function startFuzzDaemon(prefix: string) {
  const dir = await tempDir(prefix);
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  const storeDir = path.join(dir, 'store');
  await mkdir(storeDir);
  const config = testDaemonConfig(dir);
  const daemon = await startDaemonProcess(config);
  afterAll(() => daemon.stop());
  const cli = (args: string[]): Promise<CliRun> => convoy(['--socket', config.socketPath, ...args]);
  return { dir, storeDir, daemon, cli };
}

export interface FuzzedBackup {
  url: string;
  name: string;
  /** The archive's file in the store directory. */
  archive: string;
  pristine: Buffer;
}

/** Backs `snapshot` up to the store once per compression (lz4, gzip, none). */
export async function backupEachCompression(cli: (args: string[]) => Promise<CliRun>, snapshot: string, storeDir: string): Promise<FuzzedBackup[]> {
  const backups: FuzzedBackup[] = [];
  for (const compression of ['lz4', 'gzip', 'none']) {
    const url = (await cli(['backup', 'create', snapshot, '--dest', `vfs://${storeDir}`, '--compression', compression, '--table'])).stdout.trim();
    const name = new URL(url).searchParams.get('backup')!;
    const [file] = (await readdir(storeDir, { recursive: true })).filter((f) => f.endsWith(`${name}.bak`));
    const archive = path.join(storeDir, file!);
    backups.push({ url, name, archive, pristine: await readFile(archive) });
  }
  return backups;
}

type Mutation = { describe: string; apply: (archive: Buffer, other: Buffer) => Buffer };

function randomMutation(rand: () => number): Mutation {
  const int = (n: number): number => Math.floor(rand() * n);
  switch (int(5)) {
    case 0: {
      const flips = Array.from({ length: 1 + int(3) }, () => ({ at: rand(), mask: 1 + int(255) }));
      return {
        describe: `flip ${JSON.stringify(flips)}`,
        apply: (a) => {
          const b = Buffer.from(a);
          for (const f of flips) b[Math.floor(f.at * b.length)]! ^= f.mask;
          return b;
        },
      };
    }
    case 1: {
      const at = rand();
      return { describe: `cut at ${at}`, apply: (a) => a.subarray(0, Math.floor(at * a.length)) };
    }
    case 2: {
      const extra = randomBytes(1 + int(600));
      return { describe: `append ${extra.length} bytes`, apply: (a) => Buffer.concat([a, extra]) };
    }
    case 3: {
      const [x, y] = [rand(), rand()];
      return {
        describe: `swap 512-byte records at ${x} and ${y}`,
        apply: (a) => {
          const b = Buffer.from(a);
          const records = Math.floor(b.length / 512);
          const [i, j] = [Math.floor(x * records) * 512, Math.floor(y * records) * 512];
          const tmp = Buffer.from(b.subarray(i, i + 512));
          b.copy(b, i, j, j + 512);
          tmp.copy(b, j);
          return b;
        },
      };
    }
    default:
      return { describe: "another backup's archive in its place", apply: (_a, other) => other };
  }
}

export interface MutationCase {
  i: number;
  target: FuzzedBackup;
  /** The target's archive, mutated. */
  mutated: Buffer;
  /** Seed, case and mutation, for failure messages: enough to reproduce. */
  context: string;
}

/** `cases` seeded mutations, each of one of `backups` (another one's archive may take its place). */
export function* mutationCases(seed: number, cases: number, backups: FuzzedBackup[]): Generator<MutationCase> {
  const rand = seededRandom(seed);
  for (let i = 0; i < cases; i += 1) {
    const target = backups[Math.floor(rand() * backups.length)]!;
    const other = backups.find((b) => b !== target)!;
    const mutation = randomMutation(rand);
    const context = `seed ${seed}, case ${i}, ${path.basename(target.archive)}: ${mutation.describe}`;
    yield { i, target, mutated: mutation.apply(target.pristine, other.pristine), context };
  }
}
