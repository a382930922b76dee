import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { csiClients } from '@convoy/csi-server/testing';
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseTarball, unpackRelease } from './release-tarball.js';

/**
 * The release tarball as a user gets it: unpacked into an empty directory and run with a PATH
 * that holds no node and no pnpm (only the unpacked directory and the two commands the vfs
 * driver runs, cp and sync), from a working directory outside the repository. The daemon runs
 * there with the vfs driver, and the client walks a volume through create, write, snapshot,
 * backup to a vfs store (through the engine's block workers and the lz4 and gzip codecs) and to
 * S3 (s3rver on 127.0.0.1), restore and list; its CSI front end answers. The executable's unpacked helper files go when
 * the daemon stops.
 */
const execFileAsync = promisify(execFile);

// At module level, where tempDir's afterAll registers (inside beforeAll it would not).
const work = await tempDir('convoy-release-');
let bin: string;
let env: NodeJS.ProcessEnv;
let s3: S3rverHandle;

beforeAll(async () => {
  const tarball = await releaseTarball(path.join(work, 'out'));
  const unpackHere = path.join(work, 'unpacked');
  await mkdir(unpackHere);
  bin = unpackRelease(tarball, unpackHere);
  const tools = path.join(work, 'tools');
  await mkdir(tools);
  for (const tool of ['cp', 'sync']) await symlink(await which(tool), path.join(tools, tool));
  const tmp = path.join(work, 'tmp');
  await mkdir(tmp);
  s3 = await startS3rver({ buckets: ['convoy-release'] });
  env = {
    PATH: `${bin}:${tools}`,
    HOME: path.join(work, 'home'),
    TMPDIR: tmp,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
}, 120_000);

async function which(tool: string): Promise<string> {
  for (const dir of ['/usr/bin', '/bin']) if (existsSync(path.join(dir, tool))) return path.join(dir, tool);
  throw new Error(`${tool} is not in /usr/bin or /bin`);
}

/** Runs `convoy ARGS` by name through PATH, as a user would, from the empty working directory. */
async function convoy(socket: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('convoy', ['--socket', socket, ...args], { env, cwd: path.join(work, 'unpacked') });
  return stdout.trim();
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('the release tarball', () => {
  it('holds the convoy executable and its systemd unit, and PATH for the run holds no node', async () => {
    expect((await readdir(bin)).sort()).toEqual(['convoy', 'convoy.service']);
    for (const dir of env['PATH']!.split(':')) {
      expect(existsSync(path.join(dir, 'node'))).toBe(false);
      expect(existsSync(path.join(dir, 'pnpm'))).toBe(false);
    }
    const unit = await readFile(path.join(bin, 'convoy.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/convoy daemon \$CONVOY_OPTS$/m);
    const { stdout } = await execFileAsync('convoy', ['--version'], { env });
    const { version } = JSON.parse(await readFile(path.resolve(import.meta.dirname, '../../packages/cli/package.json'), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(version);
    // A client command unpacks nothing: only the daemon needs the carried files.
    expect(await readdir(env['TMPDIR']!)).toEqual([]);
  });

  it('runs the daemon and the client: create, snapshot, backup to a vfs store, restore, list', async () => {
    const dir = path.join(work, 'run');
    const socket = path.join(dir, 'convoy.sock');
    const csiSocket = path.join(dir, 'csi.sock');
    const store = path.join(dir, 'store');
    await mkdir(store, { recursive: true });
    await mkdir(path.join(dir, 'volumes'));
    const daemon = spawn(
      'convoy',
      [
        'daemon',
        '--root',
        path.join(dir, 'root'),
        '--drivers',
        'vfs',
        '--driver-opts',
        `vfs.path=${path.join(dir, 'volumes')}`,
        '--socket',
        socket,
        '--docker-plugin-dir',
        path.join(dir, 'docker-plugins'),
        '--log',
        path.join(dir, 'daemon.log'),
        '--csi-socket',
        csiSocket,
        '--csi-node-id',
        'node-1',
        '--csi-kubelet-dir',
        path.join(dir, 'kubelet'),
      ],
      { env, cwd: path.join(work, 'unpacked'), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    daemon.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until('the daemon socket', async () =>
        existsSync(socket) ? true : daemon.exitCode === null ? undefined : Promise.reject(new Error(`the daemon exited: ${stderr}`)),
      );
      expect(await convoy(socket, 'create', 'db')).toBe('db');
      const mountpoint = await convoy(socket, 'mount', 'db');
      const data = Buffer.alloc(6 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      await writeFile(path.join(mountpoint, 'data.bin'), data);
      await writeFile(path.join(mountpoint, 'hello.txt'), 'hello from the release\n');
      expect(await convoy(socket, 'snapshot', 'create', 'db', '--name', 'db-snap')).toBe('db-snap');
      const lz4 = await convoy(socket, 'backup', 'create', 'db-snap', '--dest', `vfs://${store}`, '--compression', 'lz4');
      const gzip = await convoy(socket, 'backup', 'create', 'db-snap', '--dest', `vfs://${store}`, '--compression', 'gzip');
      expect(lz4).toMatch(/^vfs:\/\/.*\?backup=.*\\u0026volume=db$/);
      const listed = JSON.parse(await convoy(socket, 'backup', 'list', `vfs://${store}`)) as Record<string, unknown>;
      expect(Object.keys(listed)).toHaveLength(2);
      // And to S3 (s3rver on 127.0.0.1): the AWS SDK inside the executable.
      const onS3 = await convoy(socket, 'backup', 'create', 'db-snap', '--dest', 's3://convoy-release@us-east-1/backups', '--s3-endpoint', s3.endpoint);
      expect(onS3).toMatch(/^s3:\/\/convoy-release@us-east-1\/backups\?backup=/);
      for (const [name, url, ...more] of [
        ['from-lz4', lz4],
        ['from-gzip', gzip],
        ['from-s3', onS3, '--s3-endpoint', s3.endpoint],
      ] as const) {
        expect(await convoy(socket, 'create', name, '--backup', url, ...more)).toBe(name);
        const restored = await convoy(socket, 'mount', name);
        expect((await readFile(path.join(restored, 'data.bin'))).equals(data)).toBe(true);
        expect(await readFile(path.join(restored, 'hello.txt'), 'utf8')).toBe('hello from the release\n');
      }
      expect(Object.keys(JSON.parse(await convoy(socket, 'list')) as Record<string, unknown>).sort()).toEqual(['db', 'from-gzip', 'from-lz4', 'from-s3']);
      // The CSI front end loads its proto from the files the executable carries.
      const csi = csiClients(csiSocket);
      try {
        expect((await csi.identity['GetPluginInfo']!({})).name).toBe('convoy.rancher.io');
        expect((await csi.node['NodeGetInfo']!({})).node_id).toBe('node-1');
      } finally {
        csi.close();
      }
      // The executable's helper files (addons, workers) sit in one private directory under TMPDIR.
      expect(await readdir(env['TMPDIR']!)).toHaveLength(1);
    } finally {
      daemon.kill('SIGTERM');
      expect(await exited(daemon)).toBe(0);
    }
    // Nothing reached the executable's require (it loads Node's own modules only, and warns), and
    // nothing failed. (The AWS SDK's notice about Node 20 support may be there, as outside it.)
    expect(stderr).not.toContain('single-executable');
    expect(stderr).not.toMatch(/^convoy: /m);
    expect(await readdir(env['TMPDIR']!)).toEqual([]);
  });

  it('refuses to start, naming TMPDIR, when it cannot unpack its helper files there', async () => {
    const dir = path.join(work, 'no-tmp');
    const result = await execFileAsync(
      'convoy',
      [
        'daemon',
        '--root',
        path.join(dir, 'root'),
        '--drivers',
        'vfs',
        '--driver-opts',
        `vfs.path=${dir}`,
        '--socket',
        path.join(dir, 'c.sock'),
        '--docker-plugin-dir',
        dir,
      ],
      {
        env: { ...env, TMPDIR: path.join(work, 'no-such-dir') },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot unpack the convoy executable's native addons and workers into ${path.join(work, 'no-such-dir')}`);
    expect(result.stderr).toContain('point TMPDIR at a writable directory');
    expect(existsSync(path.join(dir, 'c.sock'))).toBe(false);
  });

  it('fails with a message naming the problem when a driver is unknown, and leaves no files behind', async () => {
    const dir = path.join(work, 'bad');
    const result = await execFileAsync(
      'convoy',
      ['daemon', '--root', path.join(dir, 'root'), '--drivers', 'nosuch', '--socket', path.join(dir, 'c.sock'), '--docker-plugin-dir', dir],
      { env },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown driver "nosuch"/);
    expect(await readdir(env['TMPDIR']!)).toEqual([]);
  });

  it("keeps the daemon's error code across the client and the separately compiled daemon code", async () => {
    const dir = path.join(work, 'bad-json');
    const result = await execFileAsync(
      'convoy',
      ['--json', 'daemon', '--root', path.join(dir, 'root'), '--drivers', 'nosuch', '--socket', path.join(dir, 'c.sock'), '--docker-plugin-dir', dir],
      { env },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'UNKNOWN_DRIVER', details: { tried: ['@convoy/driver-nosuch', 'convoy-driver-nosuch'] } });
  });
});
