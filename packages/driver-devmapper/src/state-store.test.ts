import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { IntentLog } from './intent-log.js';
import { type PoolConfig, StateStore } from './state-store.js';

const tempDir = await tempDirFactory('convoy-dm-state-');

const config: PoolConfig = {
  version: 1,
  poolName: 'convoy-pool',
  dataDevice: '/dev/loop1',
  metadataDevice: '/dev/loop0',
  dataSectors: 2097152,
  blockSizeSectors: 4096,
  lastDevId: 0,
  createdAt: '2024-01-01T00:00:00.000Z',
};

describe('StateStore', () => {
  it('hands out each thin device id once, durably, even to concurrent callers', async () => {
    const root = await tempDir();
    const store = await StateStore.open(root);
    await store.savePoolConfig(config);
    const ids = await Promise.all(Array.from({ length: 8 }, () => store.allocateDevId()));
    expect([...ids].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const reopened = await StateStore.open(root);
    expect(reopened.poolConfig?.lastDevId).toBe(8);
    expect(await reopened.allocateDevId()).toBe(9);
  });

  it('never lowers lastDevId when recovery raises it', async () => {
    const store = await StateStore.open(await tempDir());
    await store.savePoolConfig({ ...config, lastDevId: 10 });
    await store.raiseLastDevId(4);
    expect(store.poolConfig?.lastDevId).toBe(10);
    await store.raiseLastDevId(17);
    expect(await store.allocateDevId()).toBe(18);
  });

  it('keeps volumes across a reopen and hands out copies, not its cache', async () => {
    const root = await tempDir();
    const store = await StateStore.open(root);
    await store.saveVolume({
      name: 'db',
      devId: 3,
      size: 2 ** 30,
      fs: 'ext4',
      createdAt: 'now',
      snapshots: { s1: { devId: 4, size: 2 ** 30, createdAt: 'then' } },
    });
    const copy = store.volume('db');
    if (copy) copy.size = 1;
    expect(store.volume('db')?.size).toBe(2 ** 30);
    const reopened = await StateStore.open(root);
    expect(reopened.allVolumes().map((v) => [v.name, v.devId, Object.keys(v.snapshots)])).toEqual([['db', 3, ['s1']]]);
    await reopened.removeVolume('db');
    expect((await StateStore.open(root)).volume('db')).toBeUndefined();
  });

  it('refuses a volume file that names another volume', async () => {
    const root = await tempDir();
    await StateStore.open(root);
    await writeFile(path.join(root, 'volumes', 'a.json'), JSON.stringify({ name: 'b', devId: 1, size: 0, createdAt: '', snapshots: {} }));
    await expect(StateStore.open(root)).rejects.toMatchObject({ code: 'STATE_ERROR' });
  });
});

describe('IntentLog', () => {
  it('replays intents in the order they were recorded and forgets cleared ones', async () => {
    const root = await tempDir();
    const log = await IntentLog.open(root);
    const first = await log.record({ op: 'create-volume', volume: 'a', devId: 1 });
    await log.record({ op: 'create-snapshot', volume: 'a', snapshot: 's', devId: 2 });
    await log.record({ op: 'delete-volume', volume: 'b', devIds: [5, 4] });
    await log.clear(first);
    const pending = await (await IntentLog.open(root)).pending();
    expect(pending.map((p) => p.intent.op)).toEqual(['create-snapshot', 'delete-volume']);
    expect(pending[1]?.intent).toEqual({ op: 'delete-volume', volume: 'b', devIds: [5, 4] });
  });
});
