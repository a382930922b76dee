import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseTarball, unpackRelease } from './release-tarball.js';

/**
 * A third-party driver (examples/third-party-driver, as `pnpm build` builds it) given to the
 * release executable with `--driver-module`: one file in a directory of its own, with no
 * node_modules, as a user drops it beside the executable. Its `import '@convoy/core'` gets the
 * executable's own core, so its ConvoyErrors keep their codes through the daemon's API. PATH
 * holds no node.
 */
const execFileAsync = promisify(execFile);
const memoBuilt = path.resolve(import.meta.dirname, '../../examples/third-party-driver/dist/index.js');

// At module level, where tempDir's afterAll registers.
const work = await tempDir('convoy-release-driver-');
const socket = path.join(work, 'convoy.sock');
let env: NodeJS.ProcessEnv;
let daemon: ChildProcess;
let stderr = '';

beforeAll(async () => {
  if (!existsSync(memoBuilt)) throw new Error(`${memoBuilt} is missing: run \`pnpm build\` first`);
  const tarball = await releaseTarball(path.join(work, 'out'));
  await mkdir(path.join(work, 'unpacked'));
  const bin = unpackRelease(tarball, path.join(work, 'unpacked'));
  await mkdir(path.join(work, 'tmp'));
  env = { PATH: bin, HOME: path.join(work, 'home'), TMPDIR: path.join(work, 'tmp') };
  const driverDir = path.join(work, 'driver');
  await mkdir(driverDir);
  copyFileSync(memoBuilt, path.join(driverDir, 'memo.js'));
  await writeFile(path.join(driverDir, 'package.json'), JSON.stringify({ type: 'module' }));
  daemon = spawn(
    'convoy',
    [
      'daemon',
      '--root',
      path.join(work, 'root'),
      '--driver-module',
      path.join(driverDir, 'memo.js'),
      '--driver-opts',
      `memo.dir=${path.join(work, 'memo')}`,
      '--socket',
      socket,
      '--docker-plugin-dir',
      path.join(work, 'plugins'),
    ],
    { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  daemon.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await until('the daemon socket', async () =>
    existsSync(socket) ? true : daemon.exitCode === null ? undefined : Promise.reject(new Error(`the daemon exited: ${stderr}`)),
  );
}, 120_000);

afterAll(async () => {
  if (!daemon || daemon.exitCode !== null) return;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  await exited;
});

async function convoy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync('convoy', ['--socket', socket, ...args], { env, cwd: work }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout: stdout.trim(), stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout.trim(), stderr: err.stderr }),
  );
}

describe('the release executable with --driver-module', () => {
  it("serves the module's driver: create, snapshot, back up, restore", async () => {
    expect(JSON.parse((await convoy('info')).stdout).General.DriverList).toEqual(['memo']);
    expect((await convoy('create', 'notes')).stdout).toBe('notes');
    const mountpoint = (await convoy('mount', 'notes')).stdout;
    await writeFile(path.join(mountpoint, 'hello.txt'), 'kept by a third-party driver\n');
    expect((await convoy('snapshot', 'create', 'notes', '--name', 'notes-snap')).stdout).toBe('notes-snap');
    await mkdir(path.join(work, 'store'));
    const backup = await convoy('backup', 'create', 'notes-snap', '--dest', `vfs://${path.join(work, 'store')}`);
    expect(backup.stdout, backup.stderr).toMatch(/^vfs:\/\/.*\?backup=/);
    expect((await convoy('create', 'notes-back', '--backup', backup.stdout)).stdout).toBe('notes-back');
    const restored = (await convoy('mount', 'notes-back')).stdout;
    expect(await readFile(path.join(restored, 'hello.txt'), 'utf8')).toBe('kept by a third-party driver\n');
  });

  it("keeps the code of the driver's own ConvoyError (one @convoy/core for the daemon and the driver)", async () => {
    const refused = await convoy('--json', 'mount', 'notes', '--mountpoint', path.join(work, 'elsewhere'));
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'the memo driver always mounts a volume at its own directory',
    });
  });

  it('prints no warning about how it loads the module', () => {
    expect(stderr).not.toMatch(/Warning/);
  });
});
