import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '@convoy/core';
import { isConvoyError } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';
import { backupConfigKey, volumeConfigKey } from './layout.js';

/**
 * One bad record must not cost more than itself: a delete that fails leaves its backup listed
 * and restorable, and listings report and skip a corrupt record instead of failing the store.
 */
const engine = createBackupEngine();
const scratch = await tempDir('convoy-store-robustness-');
const BLOCK = 2 * 1024 * 1024;

async function setup(): Promise<{ source: ImageSource; store: ObjectStore; destUrl: string; base: string }> {
  const base = await mkdtemp(path.join(scratch, 'env-'));
  const destUrl = 'mem://robustness';
  return { source: await ImageSource.open(path.join(base, 'disks')), store: new MemoryObjectStore(destUrl), destUrl, base };
}

/** In the v0.5 layout a delete reads every neighbour (it removes block objects); in packs it reads none (prune does). */
async function backupOf(env: Awaited<ReturnType<typeof setup>>, volume: string, snapshot: string) {
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

describe('a corrupt record costs only itself', () => {
  it('a delete that fails on a corrupt neighbouring record leaves its backup listed and restorable', async () => {
    const env = await setup();
    await env.source.createVolume('db', 4 * BLOCK);
    await env.source.writeVolume('db', 0, randomBytes(2 * BLOCK));
    const target = await backupOf(env, 'db', 's1');
    const neighbour = await backupOf(env, 'db', 's2');
    await env.store.put(backupConfigKey('db', neighbour.name), Buffer.from('{"Name": "not json'));

    const err = await engine
      .deleteBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'db', backupName: target.name, owner: 'host' })
      .catch((e: unknown) => e);
    expect(isConvoyError(err, 'CORRUPT'), String(err)).toBe(true);
    expect((err as Error).message).toContain(neighbour.name);
    expect((await engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'db' })).map((b) => b.name)).toContain(target.name);
    await engine.restoreBackup({
      store: env.store,
      backupName: target.name,
      volumeName: 'db',
      driverName: 'image',
      ops: env.source,
      request: { name: 'db-back', options: {} },
      owner: 'host',
    });
    expect((await readFile(env.source.volumePath('db-back'))).equals(await readFile(env.source.snapshotPath('s1')))).toBe(true);
  });

  it('a listing skips a corrupt backup record and a corrupt volume record, reporting each, and lists the rest', async () => {
    const env = await setup();
    for (const volume of ['aa', 'bb']) {
      await env.source.createVolume(volume, BLOCK);
      await env.source.writeVolume(volume, 0, randomBytes(BLOCK));
    }
    const good = await backupOf(env, 'aa', 'aa1');
    const bad = await backupOf(env, 'aa', 'aa2');
    const other = await backupOf(env, 'bb', 'bb1');
    await env.store.put(backupConfigKey('aa', bad.name), Buffer.from('garbage'));
    await env.store.put(volumeConfigKey('bb'), Buffer.from('[]'));

    const skipped: string[] = [];
    const listed = await engine.listBackups({ store: env.store, destUrl: env.destUrl, onSkipped: (key, err) => skipped.push(`${key}: ${err.code}`) });
    // bb's backup record is fine: it is listed, only what its volume record said is missing.
    expect(listed.map((b) => b.name)).toEqual([good.name, other.name]);
    expect(skipped.sort()).toEqual([`${backupConfigKey('aa', bad.name)}: CORRUPT`, `${volumeConfigKey('bb')}: CORRUPT`].sort());
    // Naming the volume lists the same way.
    expect((await engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'aa' })).map((b) => b.name)).toEqual([good.name]);
  });
});
