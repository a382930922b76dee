import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createCommandRunner, type DriverContext, type Logger, type Options } from '@convoy/core';
import type { DriverHooks } from '../src/crash-points.js';
import { DevmapperDriver } from '../src/driver.js';

/**
 * Helpers for the *.dm.test.ts suites, which run as root in a kernel with dm-thin (natively or
 * in the guest of scripts/test-dm.sh): loop-backed pools on sparse files in /tmp, a driver
 * context that records log lines, and a teardown that leaves no device behind.
 */

function dmWorks(): boolean {
  try {
    execFileSync('dmsetup', ['version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

export const deviceMapper = {
  available: dmWorks(),
  name: 'device-mapper thin provisioning (root and a dm-thin kernel)',
  install: 'run scripts/test-dm.sh, which boots a user-mode-linux guest when this kernel has no device-mapper',
};

export const run = createCommandRunner({ timeoutMs: 120_000 });
export const MiB = 1024 * 1024;

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A loop device over a fresh sparse file in /tmp (the guest's writable space is RAM). */
export async function loopDevice(dir: string, bytes: number): Promise<{ path: string; file: string; detach(): Promise<void> }> {
  const file = path.join(dir, `${randomBytes(4).toString('hex')}.img`);
  const fh = await open(file, 'w');
  await fh.truncate(bytes);
  await fh.close();
  const device = (await run('losetup', ['-f', '--show', file])).stdout.trim();
  return { path: device, file, detach: async () => void (await run('losetup', ['-d', device])) };
}

export interface TestPool {
  poolName: string;
  root: string;
  dataDevice: string;
  metadataDevice: string;
  options: Options;
  logger: ReturnType<typeof recordingLogger>;
  context(extra?: Options): DriverContext;
  start(hooks?: DriverHooks, extra?: Options): Promise<DevmapperDriver>;
  /** Unmounts and removes every device of the pool and the pool itself (what a reboot does). */
  deactivate(): Promise<void>;
  destroy(): Promise<void>;
}

/** A pool on two loop devices with a unique name and its own driver root. */
export async function testPool(opts: { dataBytes?: number; metadataBytes?: number; options?: Options } = {}): Promise<TestPool> {
  const dir = await mkdtemp('/tmp/convoy-dm-');
  const data = await loopDevice(dir, opts.dataBytes ?? 1024 * MiB);
  const metadata = await loopDevice(dir, opts.metadataBytes ?? 16 * MiB);
  const poolName = `t${randomBytes(3).toString('hex')}-pool`;
  const root = path.join(dir, 'root');
  const options: Options = {
    'dm.datadev': data.path,
    'dm.metadatadev': metadata.path,
    'dm.thinpoolname': poolName,
    'dm.defaultvolumesize': '64M',
    ...opts.options,
  };
  const logger = recordingLogger();
  const context = (extra: Options = {}): DriverContext => ({ root, options: { ...options, ...extra }, run, log: logger });
  const deactivate = async (): Promise<void> => {
    const tables = (await run('dmsetup', ['table'])).stdout;
    const mine = tables
      .split('\n')
      .map((line) => line.slice(0, line.indexOf(': ')))
      .filter((name) => name.startsWith(`${poolName}-`));
    const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n');
    for (const name of mine) {
      for (const line of mounts.filter((l) => l.startsWith(`/dev/mapper/${name} `))) await run('umount', [line.split(' ')[1] as string]);
      await run('dmsetup', ['remove', '--retry', name]);
    }
    if (tables.split('\n').some((line) => line.startsWith(`${poolName}: `))) await run('dmsetup', ['remove', '--retry', poolName]);
  };
  return {
    poolName,
    root,
    dataDevice: data.path,
    metadataDevice: metadata.path,
    options,
    logger,
    context,
    start: (hooks, extra) => DevmapperDriver.start(context(extra), hooks),
    deactivate,
    destroy: async () => {
      await deactivate();
      await run('losetup', ['-d', data.path, metadata.path]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Thin device ids the pool's metadata holds, read the way the driver does (metadata snapshot). */
export async function poolDeviceIds(pool: TestPool): Promise<number[]> {
  await run('dmsetup', ['message', pool.poolName, '0', 'reserve_metadata_snap']);
  try {
    const { stdout } = await run('thin_ls', ['-m', '--no-headers', '--format', 'DEV', pool.metadataDevice]);
    return stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number)
      .sort((a, b) => a - b);
  } finally {
    await run('dmsetup', ['message', pool.poolName, '0', 'release_metadata_snap']);
  }
}

/** `thin_delta` between two thin devices of the pool, raw, for tests that check its kinds. */
export async function poolDelta(pool: TestPool, left: number, right: number): Promise<string> {
  await run('dmsetup', ['message', pool.poolName, '0', 'reserve_metadata_snap']);
  try {
    return (await run('thin_delta', ['-m', '--snap1', String(left), '--snap2', String(right), pool.metadataDevice])).stdout;
  } finally {
    await run('dmsetup', ['message', pool.poolName, '0', 'release_metadata_snap']);
  }
}

/** SHA-256 of a snapshot's whole device, read the way a backup reads it. */
export async function snapshotDigest(driver: DevmapperDriver, volume: string, snapshot: string): Promise<string> {
  const reader = await driver.backup.openSnapshot(volume, snapshot);
  const hash = createHash('sha256');
  const buf = Buffer.alloc(2 * MiB);
  try {
    for (let at = 0; at < reader.size; at += buf.length) {
      const length = Math.min(buf.length, reader.size - at);
      await reader.read(buf, at, length);
      hash.update(buf.subarray(0, length));
    }
  } finally {
    await reader.close();
  }
  return hash.digest('hex');
}
