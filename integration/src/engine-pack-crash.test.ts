import { randomBytes } from 'node:crypto';
import { BLOCK_SIZE } from '@convoy/backup-store/testing';
import { describe, expect, it } from 'vitest';
import { type Env, engine, makeEnv, runChild, untilUnlocked, untilUnlockedChild, verifyDeep, verifyStore } from '../test/crash-harness.js';
import type { ChildJob, DeathPoint } from '../test/engine-process.child.js';

/**
 * The pack layout under kill -9 (issue 18): a backup killed at each store write, a prune killed
 * at each step of a repack, and processes backing up, forgetting and pruning one volume at once.
 * After each: `verify --deep` finds nothing wrong, every listed backup restores bit-exact, and
 * the same command run again succeeds.
 */

async function keysUnder(env: Env, part: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of env.store.list('convoy-objectstore/')) if (info.key.includes(part)) keys.push(info.key);
  return keys.sort();
}

describe('a pack-layout backup process SIGKILLed at each step', () => {
  const points: Array<[string, DeathPoint]> = [
    ['before its first pack', { op: 'put', key: '/packs/' }],
    ['between its packs', { op: 'put', key: '/packs/', nth: 2 }],
    ['after its packs, before its index object', { op: 'put', key: '/index/' }],
    ['after its index, before its record', { op: 'put', key: '/backups/' }],
    ['after its record, before volume.cfg', { op: 'put', key: 'volume.cfg' }],
    ['while releasing its lock', { op: 'delete', key: '/locks/' }],
  ];
  it.each(points)('killed %s: verify --deep is clean, every backup restores, the rerun succeeds and prune sweeps what it left', async (_when, dieAt) => {
    const env = await makeEnv('packs');
    const job: ChildJob = { op: 'backup', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', snapshot: 'snap2', owner: 'child', concurrency: 1 };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    await verifyDeep(env);
    expect(await verifyStore(env)).toContain(env.b1.name);

    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    const pruned = await untilUnlockedChild({ op: 'prune', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', owner: 'pruner' });
    expect(pruned.ok, JSON.stringify(pruned.error)).toBe(true);
    await verifyDeep(env);
    const after = await verifyStore(env);
    expect(after).toContain(rerun.result!.name);
    expect(after).toContain(env.b1.name);
    expect(await keysUnder(env, '/index/')).toHaveLength(1);
  });
});

describe('a repacking prune process SIGKILLed at each step', () => {
  /** b1 and b2 share 2 of 6 blocks; b1 is deleted: most of its packs are unused, some partly. */
  async function partlyUnused(): Promise<Env & { b2: string }> {
    const env = await makeEnv('packs');
    // Packs of two blocks: some hold a block b2 keeps and one it drops, so a prune with max-unused 0 rewrites them.
    const b2 = await engine.createBackup({
      store: env.store,
      destUrl: env.storeUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 'snap2'),
      ops: env.source,
      owner: 'parent',
    });
    await engine.deleteBackup({ store: env.store, destUrl: env.storeUrl, backupName: env.b1.name, volumeName: 'vol1', owner: 'parent' });
    return { ...env, b2: b2.name };
  }

  const points: Array<[string, DeathPoint]> = [
    ['before its first new pack', { op: 'put', key: '/packs/' }],
    ['after its new packs, before the new index', { op: 'put', key: '/index/' }],
    ['after the new index, before deleting the old ones', { op: 'delete', key: '/index/' }],
    ['after the old index objects, before deleting the old packs', { op: 'delete', key: '/packs/' }],
    ['while releasing its lock', { op: 'delete', key: '/locks/' }],
  ];
  it.each(points)('killed %s: verify --deep is clean, the remaining backup restores, and the rerun finishes the job', async (_when, dieAt) => {
    const env = await partlyUnused();
    const job: ChildJob = { op: 'prune', store: env.storeUrl, source: env.sourceDir, volume: 'vol1', owner: 'child', maxUnused: 0 };
    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    await verifyDeep(env);
    expect(await verifyStore(env)).toEqual([env.b2]);

    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    await verifyDeep(env);
    expect(await verifyStore(env)).toEqual([env.b2]);
    // Finished: one index, and a further prune finds nothing to remove or rewrite.
    expect(await keysUnder(env, '/index/')).toHaveLength(1);
    const again = await untilUnlocked(() => engine.prune({ store: env.store, owner: 'checker', graceMs: 0, maxUnused: 0 }));
    expect(again).toMatchObject({ packsRemoved: 0, packsRewritten: 0 });
  });
});

describe('processes sharing one pack store', () => {
  it('backups, forgets and prunes racing on one volume lose nothing: each succeeds or is refused LOCKED', async () => {
    const env = await makeEnv('packs');
    const common = { store: env.storeUrl, source: env.sourceDir, volume: 'vol1' };
    for (let round = 0; round < 3; round++) {
      await env.source.writeVolume('vol1', (round % 6) * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
      await env.source.snapshot('vol1', `race${round}`);
      const outcomes = await Promise.all([
        runChild({ ...common, op: 'backup', snapshot: `race${round}`, owner: `backup-a${round}` }),
        runChild({ ...common, op: 'backup', snapshot: `race${round}`, owner: `backup-b${round}` }),
        runChild({ ...common, op: 'forget', policy: { last: 2 }, owner: `forget-c${round}` }),
        runChild({ ...common, op: 'prune', owner: `prune-d${round}`, maxUnused: 0 }),
      ]);
      for (const o of outcomes) if (!o.ok) expect(o.error?.code, JSON.stringify(o.error)).toBe('LOCKED');
      await verifyDeep(env);
      expect((await verifyStore(env)).length).toBeGreaterThan(0);
    }
  });
});
