// `backup copy` under kill -9 (issue 21): a copy process SIGKILLed at each write into its target
// leaves a target that verifies clean, whose every listed backup restores bit-exact, and the same
// copy run again completes it with the source's names and times.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { StoreLayout } from '@convoy/core';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { describe, expect, it } from 'vitest';
import { type Env, engine, makeEnv, runChild, untilUnlockedChild, verifyDeep, verifyStore } from '../test/crash-harness.js';
import type { ChildJob, DeathPoint } from '../test/engine-process.child.js';

const identities = async (env: Env) =>
  (await engine.listBackups({ store: env.store, destUrl: env.storeUrl })).map((b) => [b.name, b.createdAt, b.snapshotName, b.snapshotCreatedAt]);

const points: Array<[string, DeathPoint]> = [
  ['before its first block', { op: 'put', key: '/packs/' }],
  ['between its blocks', { op: 'put', key: '/packs/', nth: 2 }],
  ['before the first index object', { op: 'put', key: '/index/' }],
  ['before the first backup record', { op: 'put', key: '/backups/' }],
  ['after the first record, before volume.cfg points at it', { op: 'put', key: 'volume.cfg', nth: 2 }],
  ['before the second backup record', { op: 'put', key: '/backups/', nth: 2 }],
  ['while releasing its lock', { op: 'delete', key: '/locks/' }],
];
/** The same steps in the v0.5 layout: block objects instead of packs, and no index objects. */
const v05Points = points
  .filter(([, p]) => p.key !== '/index/')
  .map(([when, p]): [string, DeathPoint] => [when, p.key === '/packs/' ? { ...p, key: '/blocks/' } : p]);
const cases: Array<[StoreLayout, Array<[string, DeathPoint]>]> = [
  ['packs', points],
  ['convoy-v0.5', v05Points],
];

describe.each(cases)('a backup copy process into a %s target, SIGKILLed at each step', (layout, steps) => {
  it.each(steps)('killed %s: the target verifies clean, every backup in it restores, and the rerun completes the copy', async (_when, dieAt) => {
    const env = await makeEnv('packs');
    await engine.createBackup({
      store: env.store,
      destUrl: env.storeUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 'snap2'),
      ops: env.source,
      owner: 'parent',
    });
    const targetDir = path.join(env.dir, 'target');
    await mkdir(targetDir);
    const target: Env = { ...env, storeDir: targetDir, storeUrl: `vfs://${targetDir}`, store: await openFsObjectStore(new URL(`vfs://${targetDir}`)) };
    const job: ChildJob = {
      op: 'copy',
      store: env.storeUrl,
      to: target.storeUrl,
      source: env.sourceDir,
      volume: 'vol1',
      owner: 'child',
      layout,
      concurrency: 1,
    };

    expect((await runChild({ ...job, dieAt })).signal).toBe('SIGKILL');
    await verifyDeep(target);
    const survivors = await verifyStore(target);

    const rerun = await untilUnlockedChild(job);
    expect(rerun.ok, JSON.stringify(rerun.error)).toBe(true);
    expect((rerun.result as unknown as { copied: unknown[] }).copied).toHaveLength(2 - survivors.length);
    await verifyDeep(target);
    expect(await verifyStore(target)).toHaveLength(2);
    expect(await identities(target)).toEqual(await identities(env));
  });
});
