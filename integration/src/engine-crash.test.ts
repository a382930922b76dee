import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BLOCK_SIZE, backupConfigKey, blocksDir, checksumFromBlockKey, locksDir } from '@convoy/backup-store/testing';
import { describe, expect, it, vi } from 'vitest';
import { type Env, engine, makeEnv as makeEnvIn, runChild, startChild, untilUnlockedChild, verifyStore } from '../test/crash-harness.js';
import type { ChildJob, DeathPoint } from '../test/engine-process.child.js';

/**
 * Real processes, really killed: each job runs in `node` on a bundle of engine-process.child.ts
 * (built once with esbuild, so a job starts in a fraction of a second) and is SIGKILLed at a
 * chosen store write or delete, or from outside at a moment of our choosing. Afterwards every
 * listed backup must restore bit-exact, and the same command run again must succeed. These are
 * the Convoy v0.5 layout's (one object per block); engine-pack-crash.test.ts kills the pack
 * layout's backups and prunes.
 */
const makeEnv = () => makeEnvIn('convoy-v0.5');

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
    const job: ChildJob = {
      op: 'backup',
      store: env.storeUrl,
      source: env.sourceDir,
      volume: 'vol1',
      snapshot: 'snap2',
      owner: 'child',
      concurrency: 1,
      layout: 'convoy-v0.5',
    };
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
    const job: ChildJob = {
      op: 'backup',
      store: env.storeUrl,
      source: env.sourceDir,
      volume: 'vol1',
      snapshot: 'snap2',
      owner: 'child',
      concurrency: 2,
      slowReadMs: 100,
      layout: 'convoy-v0.5',
    };
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
    const b2 = await engine.createBackup({
      store: env.store,
      destUrl: env.storeUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 'snap2'),
      ops: env.source,
      owner: 'parent',
      layout: 'convoy-v0.5',
    });
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
      for (const [hour, snapshot] of [
        [1, 'snap2'],
        [2, 'snap3'],
      ] as const) {
        vi.setSystemTime(Date.now() + hour * 3_600_000);
        const b = await engine.createBackup({
          store: env.store,
          destUrl: env.storeUrl,
          driverName: 'image',
          volume: env.source.volumeRecord('vol1'),
          snapshot: env.source.snapshotRecord('vol1', snapshot),
          ops: env.source,
          owner: 'parent',
          layout: 'convoy-v0.5',
        });
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
    const backupJob: ChildJob = {
      op: 'backup',
      store: env.storeUrl,
      source: env.sourceDir,
      volume: 'vol1',
      snapshot: 'snap2',
      owner: 'host-a',
      concurrency: 1,
      slowReadMs: 80,
      layout: 'convoy-v0.5',
    };

    // The backup holds its lock: the delete is refused, naming it.
    const backup = startChild(backupJob);
    while ((await readdir(path.join(env.storeDir, locksDir('vol1'))).catch(() => [])).length === 0) await sleep(5);
    const refused = await runChild({ op: 'delete', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', backup: env.b1.name, owner: 'host-b' });
    expect(refused.error?.code).toBe('LOCKED');
    expect(refused.error?.message).toContain('host-a');
    const b2 = await backup.done;
    expect(b2.ok).toBe(true);

    // A slow delete holds its lock: a backup is refused.
    const del = startChild({
      op: 'delete',
      store: env.storeUrl,
      source: env.sourceDir,
      volume: 'vol1',
      backup: env.b1.name,
      owner: 'host-b',
      slowMutationMs: 300,
    });
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
