import { spawn } from 'node:child_process';
import { access, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyInfo } from '@convoy/backup-store';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { afterEach, describe, expect, it } from 'vitest';
import { convoy } from '../test/cli-harness.js';

/**
 * Keys are taken with care. `convoy daemon` as users run it (the built bin, packages/cli/dist/index.js, in its own process)
 * taking its key: the passphrase from the environment is gone from /proc/<pid>/environ once read
 * (README, Encryption), and a key file is read with a size bound, so /dev/zero or a huge file is
 * a clear error at start, not a daemon growing until the kernel kills it. The CLI reads key files
 * through the same bound.
 */
const bin = path.resolve(import.meta.dirname, '../dist/index.js');
const freshDir = await tempDirFactory('convoy-daemon-keys-');
const started: Array<ReturnType<typeof spawn>> = [];
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

async function runDaemon(dir: string, extraArgs: string[], env: NodeJS.ProcessEnv = {}) {
  await access(bin).catch(() => {
    throw new Error(`${bin} is missing: run pnpm build first (this test runs the daemon as users do)`);
  });
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  const socket = path.join(dir, 'convoy.sock');
  const args = [
    'daemon',
    '--root',
    path.join(dir, 'root'),
    '--socket',
    socket,
    '--drivers',
    'vfs',
    '--driver-opts',
    `vfs.path=${path.join(dir, 'volumes')}`,
    ...extraArgs,
  ];
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, ...env } });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, socket, exited, stderr: () => stderr };
}

describe('convoy daemon takes its key', () => {
  it('from $CONVOY_ENCRYPTION_PASSPHRASE, and the passphrase is no longer in /proc/<pid>/environ', async () => {
    const dir = await freshDir();
    const passphrase = 'correct-horse-battery-staple-7f3a';
    const daemon = await runDaemon(dir, [], { CONVOY_ENCRYPTION_PASSPHRASE: passphrase, CONVOY_TEST_MARKER: 'still-here' });
    await until('the daemon socket', async () => ((await convoy(['--socket', daemon.socket, 'info'])).code === 0 ? true : undefined));
    const environ = await readFile(`/proc/${daemon.child.pid}/environ`);
    expect(environ.includes(passphrase)).toBe(false);
    // The rest of the environment is intact.
    expect(environ.toString()).toContain('CONVOY_TEST_MARKER=still-here');
    // And the daemon holds the key: init makes a passphrase key record with it.
    const storeDir = path.join(dir, 'store');
    await mkdir(storeDir);
    const init = await convoy(['--socket', daemon.socket, 'backup', 'init', `vfs://${storeDir}`, '--encrypt']);
    expect(init.code, init.stderr).toBe(0);
    const keys = (await convoy(['--socket', daemon.socket, 'backup', 'key', 'list', `vfs://${storeDir}`, '--json'])).json<KeyInfo[]>();
    expect(keys).toEqual([expect.objectContaining({ kind: 'passphrase' })]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });

  it.each([
    [
      'an 8 MiB file',
      async (dir: string) => {
        const file = path.join(dir, 'huge.key');
        await writeFile(file, '');
        await truncate(file, 8 * 1024 * 1024);
        return file;
      },
      /larger than the \d+ bytes/,
    ],
    ['/dev/zero', async () => '/dev/zero', /not a regular file/],
    ['a directory', async (dir: string) => dir, /not a regular file/],
  ])('refuses %s as --encryption-key-file at start, naming it', async (_what, make, why) => {
    const dir = await freshDir();
    const file = await make(dir);
    const daemon = await runDaemon(dir, ['--encryption-key-file', file]);
    expect(await daemon.exited).toBe(1);
    expect(daemon.stderr()).toContain(file);
    expect(daemon.stderr()).toMatch(why);
  });
});

describe('the convoy CLI takes its key', () => {
  it.each(['--encryption-key-file', '--new-key-file'])(
    'with a size bound: %s /dev/zero or a huge file is a clear error, and nothing is asked of a daemon',
    async (flag) => {
      const dir = await freshDir();
      const huge = path.join(dir, 'huge.key');
      await writeFile(huge, '');
      await truncate(huge, 8 * 1024 * 1024);
      const socket = path.join(dir, 'no-daemon.sock');
      const args = flag === '--new-key-file' ? ['backup', 'key', 'add', `vfs://${dir}`] : ['backup', 'verify', `vfs://${dir}`];
      for (const [file, why] of [
        ['/dev/zero', /not a regular file \(a character device\)/],
        [huge, /larger than the 65536 bytes/],
      ] as const) {
        const res = await convoy(['--socket', socket, ...args, flag, file]);
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(file);
        expect(res.stderr).toMatch(why);
      }
    },
  );
});
