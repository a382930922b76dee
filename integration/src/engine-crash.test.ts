import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { createBackupEngine, isConvoyError, type BackupSummary, type ConvoyErrorJSON, type ObjectStore } from '@convoy/core';
import { BLOCK_SIZE, ImageSource, backupConfigKey, blocksDir, checksumFromBlockKey, locksDir } from '@convoy/core/testing';
import { bundleForNode } from '@convoy/test-support/bundle';
import { tempDir } from '@convoy/test-support/tmp';
import type { ChildJob, DeathPoint } from '../test/engine-process.child.js';

/**
 * Real processes, really killed: each job runs in `node` on a bundle of engine-process.child.ts
 * (built once with esbuild, so a job starts in a fraction of a second) and is SIGKILLed at a
 * chosen store write or delete, or from outside at a moment of our choosing. Afterwards every
 * listed backup must restore bit-exact, and the same command run again must succeed.
 */
const MiB = 1024 * 1024;
const scratch = await tempDir('convoy-crash-');
const bundle = await bundleForNode(path.join(import.meta.dirname, '../test/engine-process.child.ts'));
const engine = createBackupEngine();
/** Short locks in the children, so a killed child's lock expires within the test. */
const CHILD_LOCK = { durationMs: 800, refreshMs: 250, intentWaitMs: 300 };

interface Outcome {
  signal: NodeJS.Signals | null;
  ok?: boolean;
  result?: BackupSummary | null;
  error?: ConvoyErrorJSON;
}

function startChild(job: ChildJob): { done: Promise<Outcome>; kill: () => void } {
  const child = spawn(process.execPath, [bundle, JSON.stringify({ lock: CHILD_LOCK, ...job })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').at(-1);
      if (signal) resolve({ signal });
      else if (line) resolve({ signal: null, ...(JSON.parse(line) as Omit<Outcome, 'signal'>) });
      else reject(new Error(`child exited with ${code} and no result: ${err}`));
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

const runChild = (job: ChildJob): Promise<Outcome> => startChild(job).done;

interface Env {
  dir: string;
  storeDir: string;
  storeUrl: string;
  store: ObjectStore;
  sourceDir: string;
  source: ImageSource;
}

/** vol1 (6 blocks, backed up as b1 from snap1) with 4 blocks rewritten in snap2. */
async function makeEnv(): Promise<Env & { b1: BackupSummary }> {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const storeDir = path.join(dir, 'store');
  await mkdir(storeDir);
  const storeUrl = `vfs://${storeDir}`;
  const sourceDir = path.join(dir, 'source');
  const source = await ImageSource.open(sourceDir);
  await source.createVolume('vol1', 12 * MiB);
  for (let i = 0; i < 6; i++) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.snapshot('vol1', 'snap1');
  const store = await openFsObjectStore(new URL(storeUrl));
  const b1 = await engine.createBackup({ store, destUrl: storeUrl, driverName: 'image', volume: source.volumeRecord('vol1'), snapshot: source.snapshotRecord('vol1', 'snap1'), ops: source, owner: 'parent' });
  for (const i of [0, 2, 3, 5]) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.snapshot('vol1', 'snap2');
  return { dir, storeDir, storeUrl, store, sourceDir, source, b1 };
}

/** Retries while a killed child's lock has not expired yet. */
async function untilUnlocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConvoyError(err, 'LOCKED') || attempt > 40) throw err;
      await sleep(50);
    }
  }
}

/** Every listed backup restores bit-exact (compared with its snapshot); returns their names. */
async function verifyStore(env: Env): Promise<string[]> {
  const source = await ImageSource.open(env.sourceDir);
  const backups = await engine.listBackups({ store: env.store, destUrl: env.storeUrl });
  for (const b of backups) {
    const name = `check-${randomBytes(4).toString('hex')}`;
    await untilUnlocked(() =>
      engine.restoreBackup({ store: env.store, backupName: b.name, volumeName: b.volumeName, driverName: 'image', ops: source, request: { name, options: {} }, owner: 'verifier' }),
    );
    const [restored, snapshot] = await Promise.all([readFile(source.volumePath(name)), readFile(source.snapshotPath(b.snapshotName))]);
    expect(hash(restored), `backup ${b.name} of ${b.snapshotName}`).toBe(hash(snapshot));
  }
  return backups.map((b) => b.name);
}

/** No block the remaining backups do not reference (what a finished delete must leave). */
async function expectNoStrayBlocks(env: Env, volume: string): Promise<void> {
  const referenced = new Set<string>();
  for (const b of await engine.listBackups({ store: env.store, destUrl: env.storeUrl, volumeName: volume })) {
    const record = JSON.parse((await env.store.get(backupConfigKey(volume, b.name)))!.toString());
    for (const m of record.Blocks) referenced.add(m.BlockChecksum);
  }
  const stored: string[] = [];
  for await (const info of env.store.list(blocksDir(volume))) stored.push(checksumFromBlockKey(info.key)!);
  expect(stored.sort()).toEqual([...referenced].sort());
}

const hash = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('a backup process SIGKILLed at each step', () => {
  const points: Array<[string, DeathPoint]> = [
    ['before its first block', { op: 'put', key: '/blocks/' }],
    ['half-way through its blocks', { op: 'put', key: '/blocks/', nth: 3 }],
    ['after its blocks, before its record', { op: 'put', key: '/backups/' }],
    ['after its record, before volume.cfg', { op: 'put', key: 'volume.cfg' }],
    ['while releasing its lock', { op: 'delete', key: '/locks/' }],
  ];
  it.each(points)('killed %s: the store stays restorable and the same backup then succeeds', async (_when, dieAt) => {
    const env = await makeEnv();
    const job: ChildJob = { op: 'backup', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', snapshot: 'snap2', owner: 'child', concurrency: 1 };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    const before = await verifyStore(env);
    expect(before).toContain(env.b1.name);

    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    const after = await verifyStore(env);
    expect(after).toContain(rerun.result!.name);
    expect(after).toContain(env.b1.name);
  });

  it('killed from outside while uploading: same guarantees', async () => {
    const env = await makeEnv();
    const job: ChildJob = { op: 'backup', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', snapshot: 'snap2', owner: 'child', concurrency: 2, slowReadMs: 100 };
    const running = startChild(job);
    const initial = (await blockCount(env)) + 1;
    while ((await blockCount(env)) < initial) await sleep(5);
    running.kill();
    expect((await running.done).signal).toBe('SIGKILL');
    expect(await verifyStore(env)).toEqual([env.b1.name]);
    const rerun = await untilUnlockedChild({ ...job, slowReadMs: undefined });
    expect(rerun.ok).toBe(true);
    expect(await verifyStore(env)).toHaveLength(2);
  });
});

describe('a delete process SIGKILLed at each step', () => {
  const points: Array<[string, DeathPoint]> = [
    ['before its journal', { op: 'put', key: '/deleting/' }],
    ['before removing the record', { op: 'delete', key: '/backups/' }],
    ['before clearing LastBackupName', { op: 'put', key: 'volume.cfg' }],
    ['before sweeping blocks', { op: 'delete', key: '/blocks/' }],
    ['before dropping the journal', { op: 'delete', key: '/deleting/' }],
    ['while releasing its lock', { op: 'delete', key: '/locks/' }],
  ];
  it.each(points)('killed %s: the store stays restorable and the same delete then finishes', async (_when, dieAt) => {
    const env = await makeEnv();
    const b2 = await engine.createBackup({ store: env.store, destUrl: env.storeUrl, driverName: 'image', volume: env.source.volumeRecord('vol1'), snapshot: env.source.snapshotRecord('vol1', 'snap2'), ops: env.source, owner: 'parent' });
    const job: ChildJob = { op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: b2.name, owner: 'child' };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    expect(await verifyStore(env)).toContain(env.b1.name);

    const rerun = await untilUnlockedChild(job);
    // Killed while releasing its lock, the delete had finished: the backup is already gone.
    if (dieAt.key === '/locks/') expect(rerun.error?.code).toBe('NOT_FOUND');
    else expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    expect(await verifyStore(env)).toEqual([env.b1.name]);
    await expectNoStrayBlocks(env, 'vol1');
  });

  const lastPoints: Array<[string, DeathPoint]> = [
    ['while removing the blocks', { op: 'delete', key: '/blocks/' }],
    ['before removing volume.cfg', { op: 'delete', key: 'volume.cfg' }],
    ['before dropping the journal', { op: 'delete', key: '/deleting/' }],
  ];
  it.each(lastPoints)('deleting the last backup, killed %s: the rerun removes the whole volume', async (_when, dieAt) => {
    const env = await makeEnv();
    const job: ChildJob = { op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: env.b1.name, owner: 'child' };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    expect(await engine.listBackups({ store: env.store, destUrl: env.storeUrl })).toEqual([]);
    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    const left: string[] = [];
    for await (const info of env.store.list('convoy-objectstore/')) if (!info.key.startsWith(locksDir('vol1'))) left.push(info.key);
    expect(left).toEqual([]);
  });
});

describe('a forget process SIGKILLed at each step', () => {
  /** b1 (makeEnv), then b2 and b3 an hour apart each, so that keep-last 1 forgets b1 and b2. */
  async function threeBackups(): Promise<Env & { names: string[] }> {
    const env = await makeEnv();
    await env.source.writeVolume('vol1', 4 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 'snap3');
    const names = [env.b1.name];
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (const [hour, snapshot] of [[1, 'snap2'], [2, 'snap3']] as const) {
        vi.setSystemTime(Date.now() + hour * 3_600_000);
        const b = await engine.createBackup({ store: env.store, destUrl: env.storeUrl, driverName: 'image', volume: env.source.volumeRecord('vol1'), snapshot: env.source.snapshotRecord('vol1', snapshot), ops: env.source, owner: 'parent' });
        names.push(b.name);
      }
    } finally {
      vi.useRealTimers();
    }
    return { ...env, names };
  }

  const points: Array<[string, DeathPoint]> = [
    ['before removing the first record', { op: 'delete', key: '/backups/' }],
    ['between the two records', { op: 'put', key: '/deleting/', nth: 2 }],
    ['before collecting blocks', { op: 'delete', key: '/blocks/' }],
    ['before dropping the journals', { op: 'delete', key: '/deleting/' }],
    ['while releasing its lock', { op: 'delete', key: '/locks/' }],
  ];
  it.each(points)('killed %s: every listed backup restores, and the rerun finishes the forget', async (_when, dieAt) => {
    const env = await threeBackups();
    const job: ChildJob = { op: 'forget', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', policy: { last: 1 }, owner: 'child' };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    expect(await verifyStore(env)).toContain(env.names[2]);

    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    expect(await verifyStore(env)).toEqual([env.names[2]]);
    await expectNoStrayBlocks(env, 'vol1');
    const left: string[] = [];
    for await (const info of env.store.list('convoy-objectstore/')) if (info.key.includes('/deleting/')) left.push(info.key);
    expect(left).toEqual([]);
  });
});

describe('two processes sharing one store', () => {
  it('a delete is refused while a backup runs, a backup while a delete runs, and racing starts lose nothing', async () => {
    const env = await makeEnv();
    const backupJob: ChildJob = { op: 'backup', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', snapshot: 'snap2', owner: 'host-a', concurrency: 1, slowReadMs: 80 };

    // The backup holds its lock: the delete is refused, naming it.
    const backup = startChild(backupJob);
    while ((await readdir(path.join(env.storeDir, locksDir('vol1'))).catch(() => [])).length === 0) await sleep(5);
    const refused = await runChild({ op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: env.b1.name, owner: 'host-b' });
    expect(refused.error?.code).toBe('LOCKED');
    expect(refused.error?.message).toContain('host-a');
    const b2 = await backup.done;
    expect(b2.ok).toBe(true);

    // A slow delete holds its lock: a backup is refused.
    const del = startChild({ op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: env.b1.name, owner: 'host-b', slowMutationMs: 300 });
    while ((await readdir(path.join(env.storeDir, locksDir('vol1'))).catch(() => [])).length === 0) await sleep(5);
    await sleep(50);
    const blocked = await runChild({ ...backupJob, slowReadMs: undefined, owner: 'host-c' });
    expect(blocked.error?.code).toBe('LOCKED');
    expect(blocked.error?.message).toContain('host-b');
    expect((await del.done).ok).toBe(true);

    // Both at once: either may be refused, both may succeed one after the other; nothing is lost.
    await env.source.writeVolume('vol1', BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 'snap3');
    for (let round = 0; round < 3; round++) {
      const outcomes = await Promise.all([
        runChild({ ...backupJob, snapshot: 'snap3', slowReadMs: undefined, owner: `racer-a${round}` }),
        runChild({ op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: b2.result!.name, owner: `racer-b${round}` }),
      ]);
      for (const o of outcomes) if (!o.ok) expect(['LOCKED', 'NOT_FOUND']).toContain(o.error?.code);
      await verifyStore(env);
    }
  });
});

async function blockCount(env: Env): Promise<number> {
  let n = 0;
  for await (const _ of env.store.list(blocksDir('vol1'))) n++;
  return n;
}

async function untilUnlockedChild(job: ChildJob): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await runChild(job);
    if (outcome.error?.code !== 'LOCKED' || attempt > 20) return outcome;
    await sleep(100);
  }
}
