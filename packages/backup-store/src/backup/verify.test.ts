import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, backupConfigKey, blockKey, blocksDir, locksDir } from './layout.js';
import { parseBackupUrl } from './url.js';

const MiB = 1024 * 1024;
const engine = createBackupEngine();
const scratch = await tempDir('convoy-verify-');

async function makeEnv() {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const destUrl = 'mem://verify-test';
  return { store: new MemoryObjectStore(destUrl), destUrl, source: await ImageSource.open(path.join(dir, 'images')) };
}
type Env = Awaited<ReturnType<typeof makeEnv>>;

async function backedUp(env: Env, volume: string, blocks: number[], snapshot: string) {
  await env.source.createVolume(volume, 16 * MiB).catch(() => undefined);
  for (const i of blocks) await env.source.writeVolume(volume, i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await env.source.snapshot(volume, snapshot);
  return engine.createBackup({
    store: env.store,
    destUrl: env.destUrl,
    driverName: 'image',
    volume: env.source.volumeRecord(volume),
    snapshot: env.source.snapshotRecord(volume, snapshot),
    ops: env.source,
    owner: 'host',
    layout: 'convoy-v0.5',
  });
}

async function blockKeys(store: ObjectStore, volume: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list(blocksDir(volume))) keys.push(key);
  return keys.sort();
}

const verify = (env: Env, extra: { volumeName?: string; backupName?: string; deep?: boolean; sample?: number } = {}) =>
  engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', ...extra });

describe('backup verify', () => {
  it('passes a healthy store, quick and deep, reading each shared block once', async () => {
    const env = await makeEnv();
    await backedUp(env, 'vol1', [0, 1, 2], 's1');
    await backedUp(env, 'vol1', [3], 's2');
    await backedUp(env, 'vol2', [0], 's3');
    const { get: gets, head: heads } = env.store.stats;
    const quick = await verify(env);
    expect(quick).toMatchObject({ ok: true, volumes: 2, backups: 3, blocksReferenced: 5, blocksRead: 0, problems: [], damagedBackups: [] });
    // Quick reads records, not blocks: no request per block.
    expect(env.store.stats.get - gets).toBeLessThan(10);
    expect(env.store.stats.head).toBe(heads);
    const deep = await verify(env, { deep: true });
    expect(deep).toMatchObject({ ok: true, blocksReferenced: 5, blocksRead: 5 });
    const sampled = await verify(env, { deep: true, sample: 0.01, volumeName: 'vol1' });
    expect(sampled.blocksRead).toBeGreaterThanOrEqual(1);
    expect(sampled.blocksRead).toBeLessThan(4);
  });

  it('names a deleted block, a corrupt block and an unparsable record, and the backups they damage', async () => {
    const env = await makeEnv();
    const first = await backedUp(env, 'vol1', [0, 1], 's1');
    const second = await backedUp(env, 'vol1', [2], 's2');
    const third = await backedUp(env, 'vol2', [0], 's3');
    expect(await blockKeys(env.store, 'vol1')).toHaveLength(3);
    // One of the first backup's blocks (the second backup uses it too), and another one.
    const firstRecord = JSON.parse((await env.store.get(backupConfigKey('vol1', parseBackupUrl(first.url).backupName)))!.toString());
    const gone = blockKey('vol1', firstRecord.Blocks[0].BlockChecksum);
    const blocks = [gone, (await blockKeys(env.store, 'vol1')).find((k) => k !== gone)!];

    await env.store.delete([gone]);
    const missing = await verify(env);
    expect(missing.ok).toBe(false);
    expect(missing.problems).toEqual([{ kind: 'missing-block', key: gone, volumeName: 'vol1', message: `block ${gone} is missing` }]);
    // Every block of the first backup is in the second, too (each record holds the whole map).
    expect(missing.damagedBackups.sort()).toEqual([first.url, second.url].sort());

    const corruptKey = blocks[1]!;
    const original = (await env.store.get(corruptKey))!;
    const flipped = Buffer.from(original);
    flipped[flipped.length >> 1]! ^= 0xff;
    await env.store.put(corruptKey, flipped);
    // Quick sees the object; only deep reads it.
    expect((await verify(env, { volumeName: 'vol1' })).problems.map((p) => p.kind)).toEqual(['missing-block']);
    const deep = await verify(env, { volumeName: 'vol1', deep: true });
    expect(deep.problems.map((p) => [p.kind, p.key])).toEqual([
      ['missing-block', blocks[0]],
      ['corrupt-block', corruptKey],
    ]);

    const recordKey = backupConfigKey('vol2', parseBackupUrl(third.url).backupName);
    // A record that parses but points its archive outside the volume is as unreadable as a cut one.
    const record = JSON.parse((await env.store.get(recordKey))!.toString());
    await env.store.put(recordKey, Buffer.from(JSON.stringify({ ...record, SingleFile: { FilePath: 'convoy-objectstore/elsewhere.bak' } })));
    expect((await verify(env, { volumeName: 'vol2' })).problems).toEqual([expect.objectContaining({ kind: 'unreadable-record', key: recordKey })]);
    await env.store.put(recordKey, Buffer.from('{"Name": "backup-'));
    const unreadable = await verify(env, { volumeName: 'vol2' });
    expect(unreadable.problems).toEqual([expect.objectContaining({ kind: 'unreadable-record', key: recordKey })]);
    expect(unreadable.damagedBackups).toEqual([third.url]);

    await env.store.put(`${locksDir('vol2')}lock-junk.lck`, Buffer.from('not json'));
    const locks = await verify(env, { volumeName: 'vol2' }).catch((e: Error) => e);
    // An unreadable lock counts as exclusive: verify cannot take its shared lock and says who holds it.
    expect(locks).toMatchObject({ code: 'LOCKED' });
    expect((locks as Error).message).toContain('lock-junk.lck');
    // A whole-store verify checks the other volumes and names the one it could not.
    const whole = await verify(env);
    expect(whole.problems.filter((p) => p.volumeName === 'vol2')).toEqual([]);
    expect(whole.notChecked).toEqual([expect.objectContaining({ volumeName: 'vol2', key: locksDir('vol2') })]);
    expect(whole.volumes).toBe(1);
  });

  it('verifies one backup by URL and refuses a missing one', async () => {
    const env = await makeEnv();
    const one = await backedUp(env, 'vol1', [0], 's1');
    const { backupName, volumeName } = parseBackupUrl(one.url);
    expect(await verify(env, { volumeName, backupName, deep: true })).toMatchObject({ ok: true, backups: 1, blocksRead: 1 });
    await expect(verify(env, { volumeName, backupName: 'backup-0000000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(verify(env, { volumeName: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(verify(env, { sample: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('runs beside a backup in progress without blocking it', async () => {
    const env = await makeEnv();
    await backedUp(env, 'vol1', [0, 1], 's1');
    for (const i of [2, 3, 4]) await env.source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await env.source.snapshot('vol1', 's2');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    const slowOps = env.source.withReadHook(async () => {
      reading();
      await gate;
    });
    const running = engine.createBackup({
      store: env.store,
      destUrl: env.destUrl,
      driverName: 'image',
      volume: env.source.volumeRecord('vol1'),
      snapshot: env.source.snapshotRecord('vol1', 's2'),
      ops: slowOps,
      owner: 'backup-host',
      layout: 'convoy-v0.5',
    });
    await started;
    // The backup holds its shared lock and is mid-upload; a deep verify runs to the end meanwhile.
    const report = await verify(env, { deep: true });
    expect(report).toMatchObject({ ok: true, backups: 1 });
    release();
    const done = await running;
    expect((await verify(env, { deep: true })).backups).toBe(2);
    expect(done.blockCount).toBe(5);
  });
});
