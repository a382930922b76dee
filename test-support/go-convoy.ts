/*
 * The original Go Convoy v0.5.2 (test-support/peers.ts builds it) as a test peer: its client
 * pointed at any socket, its daemon with the vfs driver, and the shapes its client's structs
 * (api/response.go) give the JSON it prints.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

export interface GoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the Go client asynchronously (the daemon under test may live in this very process). */
export function goClient(binary: string, socket: string, args: readonly string[]): Promise<GoRun> {
  return new Promise((resolve) => {
    execFile(binary, ['--socket', socket, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface GoDaemon {
  socket: string;
  stop(): Promise<void>;
}

/** Go Convoy's own daemon with its vfs driver, everything under `dir`. */
export async function startGoDaemon(binary: string, dir: string): Promise<GoDaemon> {
  const socket = path.join(dir, 'go.sock');
  await mkdir(path.join(dir, 'go-volumes'), { recursive: true });
  const child: ChildProcess = spawn(
    binary,
    ['--socket', socket, 'daemon', '--root', path.join(dir, 'go-root'), '--drivers', 'vfs', '--driver-opts', `vfs.path=${path.join(dir, 'go-volumes')}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; !existsSync(socket); i++) {
    if (child.exitCode !== null || i > 200) {
      child.kill('SIGKILL');
      throw new Error(`Go Convoy's daemon did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Go's time.RubyDate, which every time field of Go Convoy's answers used. */
export const RUBY_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$/;

const stringMap = (value: unknown, what: string) => {
  expect(value, what).toBeTypeOf('object');
  for (const [key, v] of Object.entries(value as object)) expect(v, `${what}.${key}`).toBeTypeOf('string');
};

/** Go's api.SnapshotResponse: Name, CreatedTime, DriverInfo map[string]string (+ VolumeName, VolumeCreatedAt when set). */
export function expectGoSnapshot(value: unknown, what = 'snapshot'): void {
  const s = value as Record<string, unknown>;
  for (const key of ['Name', 'CreatedTime']) expect(s[key], `${what}.${key}`).toBeTypeOf('string');
  expect(s.CreatedTime, `${what}.CreatedTime`).toMatch(RUBY_DATE);
  for (const key of ['VolumeName', 'VolumeCreatedAt']) if (key in s) expect(s[key], `${what}.${key}`).toBeTypeOf('string');
  stringMap(s.DriverInfo, `${what}.DriverInfo`);
}

/** Go's api.VolumeResponse, as its client's json.Unmarshal would fill it. */
export function expectGoVolume(value: unknown, what = 'volume'): void {
  const v = value as Record<string, unknown>;
  expect(Object.keys(v).sort(), what).toEqual(['CreatedTime', 'Driver', 'DriverInfo', 'MountPoint', 'Name', 'Snapshots']);
  for (const key of ['Name', 'Driver', 'MountPoint', 'CreatedTime']) expect(v[key], `${what}.${key}`).toBeTypeOf('string');
  expect(v.CreatedTime, `${what}.CreatedTime`).toMatch(RUBY_DATE);
  stringMap(v.DriverInfo, `${what}.DriverInfo`);
  for (const [name, snapshot] of Object.entries(v.Snapshots as object)) expectGoSnapshot(snapshot, `${what}.Snapshots.${name}`);
}

/** A backup's info map: map[string]string with Go's keys. */
export function expectGoBackup(value: unknown, what = 'backup'): void {
  stringMap(value, what);
  for (const key of [
    'BackupName',
    'BackupURL',
    'DriverName',
    'VolumeName',
    'VolumeSize',
    'VolumeCreatedAt',
    'SnapshotName',
    'SnapshotCreatedAt',
    'CreatedTime',
  ]) {
    expect(value, what).toHaveProperty(key);
  }
  expect((value as Record<string, string>).VolumeSize, `${what}.VolumeSize`).toMatch(/^\d+$/);
}

/**
 * The skeleton of a JSON value for comparing two daemons: objects keep their keys (sorted),
 * primitives become their type, strings that are times become "time". Objects at `mapPaths`
 * are maps keyed by data (names, URLs), so their keys collapse into one "*" entry.
 */
export function shapeOf(value: unknown, mapPaths: readonly string[] = [], at = ''): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0], mapPaths, `${at}[]`)];
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    if (mapPaths.includes(at)) {
      // The fullest entry stands for all (a volume with snapshots over one without).
      const shapes = entries.map(([, v]) => shapeOf(v, mapPaths, at === '' ? '*' : `${at}.*`));
      return shapes.length === 0 ? {} : { '*': shapes.sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0] };
    }
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shapeOf(v, mapPaths, at === '' ? k : `${at}.${k}`)]));
  }
  if (typeof value === 'string' && RUBY_DATE.test(value)) return 'time';
  return typeof value;
}

/** `shape` without the keys at `paths` (Convoy's additions), for comparing with Go's. */
export function withoutKeys(shape: unknown, paths: readonly string[]): unknown {
  const copy = structuredClone(shape) as Record<string, unknown>;
  for (const p of paths) {
    const parts = p.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    if (node) delete node[parts.at(-1)!];
  }
  return copy;
}
