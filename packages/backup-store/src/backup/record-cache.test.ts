import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupSummary } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, backupConfigKey, blocksDir } from './layout.js';
import { BackupRecordCache } from './record-cache.js';
import { parseBackupUrl } from './url.js';

const scratch = await tempDir('convoy-record-cache-');
const destUrl = 'mem://record-cache';

/** One store, one image source, and a volume `vol1` with `count` backups of four blocks each. */
async function storeWithBackups(count: number) {
  const store = new MemoryObjectStore(destUrl);
  const source = await ImageSource.open(path.join(scratch, `src-${randomBytes(4).toString('hex')}`));
  await source.createVolume('vol1', 4 * BLOCK_SIZE);
  for (let block = 0; block < 4; block++) await source.writeVolume('vol1', block * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  const writer = createBackupEngine();
  const made: BackupSummary[] = [];
  for (let i = 0; i < count; i++) {
    await source.writeVolume('vol1', (i % 4) * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', `snap${i}`);
    made.push(await backupOf(writer, store, source, `snap${i}`));
  }
  return { store, source, made };
}

function backupOf(engine: ReturnType<typeof createBackupEngine>, store: MemoryObjectStore, source: ImageSource, snapshot: string) {
  return engine.createBackup({
    store,
    destUrl,
    driverName: 'image',
    volume: source.volumeRecord('vol1'),
    snapshot: source.snapshotRecord('vol1', snapshot),
    ops: source,
    owner: 'host-a/1',
    layout: 'convoy-v0.5',
  });
}

/** The store requests `work` makes. */
async function requestsOf(store: MemoryObjectStore, work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...store.stats };
  await work();
  return Object.fromEntries(Object.entries(store.stats).map(([kind, n]) => [kind, n - before[kind as keyof typeof before]]));
}

describe('the backup record cache', () => {
  it('serves a listed record from memory: a second listing fetches only volume.cfg', async () => {
    const { store, made } = await storeWithBackups(3);
    const engine = createBackupEngine();
    expect((await requestsOf(store, () => engine.listBackups({ store, destUrl }))).get).toBe(1 + 3);
    const again = await requestsOf(store, () => engine.listBackups({ store, destUrl }));
    expect(again.get).toBe(1);
    expect((await engine.listBackups({ store, destUrl })).map((b) => b.name).sort()).toEqual(made.map((b) => b.name).sort());
    // inspect confirms with a HEAD (another host may have deleted it), then answers from memory.
    const { backupName, volumeName } = parseBackupUrl(made[0]!.url);
    const inspect = await requestsOf(store, () => engine.inspectBackup({ store, destUrl, backupName, volumeName }));
    expect(inspect).toMatchObject({ head: 1, get: 1 }); // the HEAD, and volume.cfg (mutable: always fresh)
  });

  it('is bounded by block-map entries, dropping the least recently used record first', async () => {
    const { store, made } = await storeWithBackups(3);
    const cache = new BackupRecordCache(2 * 5); // two records of four blocks (+1 each)
    for (const b of made) await cache.load(store, 'vol1', b.name, 'listed');
    expect(cache.usage).toEqual({ records: 2, blocks: 10 });
    // The first record was evicted: reading it again is a GET, the two others are not.
    const first = await requestsOf(store, () => cache.load(store, 'vol1', made[0]!.name, 'listed'));
    expect(first.get).toBe(1);
    const third = await requestsOf(store, () => cache.load(store, 'vol1', made[2]!.name, 'listed'));
    expect(third.get).toBe(0);
    expect(cache.usage.blocks).toBeLessThanOrEqual(10);
  });

  it('never answers for a backup another host deleted: inspect, restore and listings see it gone', async () => {
    const { store, source, made } = await storeWithBackups(2);
    const hostA = createBackupEngine();
    const hostB = createBackupEngine();
    await hostA.listBackups({ store, destUrl }); // host A now holds both records
    const [older, newer] = made as [BackupSummary, BackupSummary];
    await hostB.deleteBackup({ store, destUrl, backupName: older.name, volumeName: 'vol1', owner: 'host-b/2' });

    expect((await hostA.listBackups({ store, destUrl })).map((b) => b.name)).toEqual([newer.name]);
    await expect(hostA.inspectBackup({ store, destUrl, backupName: older.name, volumeName: 'vol1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      hostA.restoreBackup({
        store,
        backupName: older.name,
        volumeName: 'vol1',
        driverName: 'image',
        ops: source,
        request: { name: 'gone', options: {} },
        owner: 'host-a/1',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.head(backupConfigKey('vol1', older.name))).toBeUndefined();
  });

  it('bases an incremental on a cached record only while it exists, and the result restores bit-exact', async () => {
    const { store, source, made } = await storeWithBackups(1);
    const hostA = createBackupEngine();
    await hostA.listBackups({ store, destUrl }); // host A holds the record volume.cfg names as the last backup
    // Another host's delete, killed after removing the record and sweeping its blocks but before
    // clearing LastBackupName: volume.cfg still names a backup that is gone, blocks and all.
    await store.delete([backupConfigKey('vol1', made[0]!.name)]);
    await store.delete(store.keysUnder(blocksDir('vol1')));
    await source.writeVolume('vol1', 3 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'after-delete');
    // Trusting its copy, host A would skip the blocks the record lists and reference missing ones.
    const next = await backupOf(hostA, store, source, 'after-delete');
    expect(store.keysUnder(blocksDir('vol1'))).toHaveLength(4);
    await hostA.restoreBackup({
      store,
      backupName: next.name,
      volumeName: 'vol1',
      driverName: 'image',
      ops: source,
      request: { name: 'restored', options: {} },
      owner: 'host-a/1',
    });
    const [restored, snapshot] = await Promise.all([readFile(source.volumePath('restored')), readFile(source.snapshotPath('after-delete'))]);
    expect(restored.equals(snapshot)).toBe(true);
  });

  it('forgets a backup this host deletes', async () => {
    const { store, made } = await storeWithBackups(1);
    const engine = createBackupEngine();
    await engine.listBackups({ store, destUrl });
    await engine.deleteBackup({ store, destUrl, backupName: made[0]!.name, volumeName: 'vol1', owner: 'host-a/1' });
    // Not even a listing-trusted read may answer from memory now: the record is gone.
    const cache = new BackupRecordCache();
    expect(await cache.load(store, 'vol1', made[0]!.name, 'listed')).toBeUndefined();
    await expect(engine.inspectBackup({ store, destUrl, backupName: made[0]!.name, volumeName: 'vol1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
