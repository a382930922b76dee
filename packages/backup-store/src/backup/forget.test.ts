import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupSummary, ObjectStore } from '@convoy/core';
import { isConvoyError } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, backupConfigKey, blocksDir, checksumFromBlockKey, locksDir } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, StoreLock } from './store-lock.js';

const MiB = 1024 * 1024;
const engine = createBackupEngine();
const scratch = await tempDir('convoy-forget-');

interface Env {
  store: ObjectStore;
  destUrl: string;
  source: ImageSource;
  backups: BackupSummary[];
}

/**
 * vol1 backed up six times, one hour apart from 2026-01-01T00:00Z (backup i at hour i), each
 * backup rewriting block i of 8 and sharing the rest with its neighbours: forgetting some must
 * keep exactly the blocks the others use.
 */
async function sixHourlyBackups(): Promise<Env> {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const destUrl = `mem://${path.basename(dir)}`;
  const store = new MemoryObjectStore(destUrl);
  const source = await ImageSource.open(path.join(dir, 'images'));
  await source.createVolume('vol1', 16 * MiB);
  for (let i = 0; i < 8; i++) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  const backups: BackupSummary[] = [];
  vi.useFakeTimers({ toFake: ['Date'] });
  for (let i = 0; i < 6; i++) {
    vi.setSystemTime(Date.UTC(2026, 0, 1, i));
    await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', `snap${i}`);
    backups.push(
      await engine.createBackup({
        store,
        destUrl,
        driverName: 'image',
        volume: source.volumeRecord('vol1'),
        snapshot: source.snapshotRecord('vol1', `snap${i}`),
        ops: source,
        owner: 'test',
        layout: 'convoy-v0.5',
      }),
    );
  }
  vi.useRealTimers();
  return { store, destUrl, source, backups };
}

afterEach(() => vi.useRealTimers());

async function everyObject(store: ObjectStore): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for await (const info of store.list('convoy-objectstore/')) objects.set(info.key, hash((await store.get(info.key))!));
  return objects;
}

const hash = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Each listed backup restores bit-exact, and the store holds exactly the blocks they reference. */
async function expectSoundStore(env: Env): Promise<string[]> {
  const listed = await engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1' });
  const referenced = new Set<string>();
  for (const b of listed) {
    const record = JSON.parse((await env.store.get(backupConfigKey('vol1', b.name)))!.toString()) as { Blocks: Array<{ BlockChecksum: string }> };
    for (const m of record.Blocks) referenced.add(m.BlockChecksum);
    const name = `check-${randomBytes(4).toString('hex')}`;
    await engine.restoreBackup({
      store: env.store,
      backupName: b.name,
      volumeName: 'vol1',
      driverName: 'image',
      ops: env.source,
      request: { name, options: {} },
      owner: 'verifier',
    });
    const [restored, snapshot] = await Promise.all([readFile(env.source.volumePath(name)), readFile(env.source.snapshotPath(b.snapshotName))]);
    expect(restored.equals(snapshot), `backup ${b.name} restores ${b.snapshotName}`).toBe(true);
  }
  const stored: string[] = [];
  for await (const info of env.store.list(blocksDir('vol1'))) stored.push(checksumFromBlockKey(info.key)!);
  expect(stored.sort()).toEqual([...referenced].sort());
  return listed.map((b) => b.name);
}

describe('backup forget', () => {
  it('removes what the policy drops, keeps exactly the blocks the rest use, and says why each stays', async () => {
    const env = await sixHourlyBackups();
    const [b0, b1, b2, b3, b4, b5] = env.backups.map((b) => b.name);
    const report = await engine.forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy: { last: 2, daily: 1 }, owner: 'test' });
    expect(report.dryRun).toBe(false);
    expect(report.kept.map((k) => [k.backup.name, k.reasons])).toEqual([
      [b5, ['last', 'daily']],
      [b4, ['last']],
    ]);
    expect(report.removed.map((b) => b.name)).toEqual([b3, b2, b1, b0]);
    expect((await expectSoundStore(env)).sort()).toEqual([b4, b5].sort());
    expect(await everyObject(env.store).then((o) => [...o.keys()].filter((k) => k.startsWith(locksDir('vol1'))))).toEqual([]);
  });

  it('--dry-run reports the same decision and writes nothing, not even a lock', async () => {
    const env = await sixHourlyBackups();
    const before = await everyObject(env.store);
    const writes = () => env.store.stats.put + env.store.stats.delete;
    const writesBefore = writes();
    const dry = await engine.forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy: { last: 3 }, owner: 'test', dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(writes()).toBe(writesBefore);
    expect(await everyObject(env.store)).toEqual(before);
    const real = await engine.forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy: { last: 3 }, owner: 'test' });
    expect(real.removed.map((b) => b.name)).toEqual(dry.removed.map((b) => b.name));
    expect(real.kept).toEqual(dry.kept);
  });

  it('is idempotent: a second run with the same policy removes nothing', async () => {
    const env = await sixHourlyBackups();
    await engine.forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy: { hourly: 2, within: '3h' }, owner: 'test' });
    const again = await engine.forgetBackups({
      store: env.store,
      destUrl: env.destUrl,
      volumeName: 'vol1',
      policy: { hourly: 2, within: '3h' },
      owner: 'test',
    });
    expect(again.removed).toEqual([]);
    expect(again.kept.map((k) => k.reasons)).toEqual([['hourly', 'within 3h'], ['hourly', 'within 3h'], ['within 3h']]);
    await expectSoundStore(env);
  });

  it('is refused, changing nothing, while another host backs the volume up', async () => {
    const env = await sixHourlyBackups();
    const held = await StoreLock.acquire(env.store, 'vol1', 'backup', 'host-b', DEFAULT_LOCK_OPTIONS);
    const before = await everyObject(env.store);
    const err = await engine
      .forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy: { last: 1 }, owner: 'test' })
      .catch((e: unknown) => e);
    expect(isConvoyError(err, 'LOCKED')).toBe(true);
    expect((err as Error).message).toContain('host-b');
    expect(await everyObject(env.store)).toEqual(before);
    await held.release();
  });

  it.each([
    [{ last: -1 }, 'INVALID_ARGUMENT', /--keep-last -1 is out of range: give a whole number from 0 to 1000000/],
    [{}, 'INVALID_ARGUMENT', /no keep rule given/],
    [{ within: 'soon' }, 'INVALID_ARGUMENT', /--keep-within "soon"/],
  ] as const)('refuses policy %j before touching the store', async (policy, code, message) => {
    const env = await sixHourlyBackups();
    const before = await everyObject(env.store);
    const err = await engine.forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol1', policy, owner: 'test' }).catch((e: unknown) => e);
    expect(isConvoyError(err, code)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect(await everyObject(env.store)).toEqual(before);
  });

  it('a volume without backups in the store is NOT_FOUND', async () => {
    const env = await sixHourlyBackups();
    const err = await engine
      .forgetBackups({ store: env.store, destUrl: env.destUrl, volumeName: 'vol10', policy: { last: 1 }, owner: 'test' })
      .catch((e: unknown) => e);
    expect(isConvoyError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('vol10');
  });
});
