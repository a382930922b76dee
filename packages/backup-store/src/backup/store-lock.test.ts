import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '@convoy/core';
import { isConvoyError } from '@convoy/core';
import { MemoryObjectStore } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { locksDir } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, type LockOptions, StoreLock } from './store-lock.js';

const fast: LockOptions = { ...DEFAULT_LOCK_OPTIONS, intentWaitMs: 300 };

/** The names of the lock objects of `volume`. */
async function lockFiles(store: ObjectStore, volume: string): Promise<string[]> {
  return (await store.listDir(locksDir(volume))).files;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isConvoyError(err, 'LOCKED'), `expected LOCKED, got ${String(err)}`).toBe(true);
  return err as Error;
}

describe('store locks', () => {
  it('lets backups and restores share a volume', async () => {
    const store = new MemoryObjectStore();
    const backup = await StoreLock.acquire(store, 'vol1', 'backup', 'host-a/1', fast);
    const restore = await StoreLock.acquire(store, 'vol1', 'restore', 'host-b/2', fast);
    const second = await StoreLock.acquire(store, 'vol1', 'backup', 'host-c/3', fast);
    expect(await lockFiles(store, 'vol1')).toHaveLength(3);
    await Promise.all([backup.release(), restore.release(), second.release()]);
    expect(await lockFiles(store, 'vol1')).toEqual([]);
  });

  it('refuses a delete while a backup holds the volume, saying who and since when', async () => {
    const store = new MemoryObjectStore();
    const backup = await StoreLock.acquire(store, 'vol1', 'backup', 'host-a/1', fast);
    const err = await refusal(StoreLock.acquire(store, 'vol1', 'delete', 'host-b/2', fast));
    expect(err.message).toContain('host-a/1');
    expect(err.message).toContain('backup');
    expect(err.message).toMatch(/since \d{4}-\d{2}-\d{2}T/);
    // The refused side leaves nothing behind.
    expect(await lockFiles(store, 'vol1')).toHaveLength(1);
    // Other volumes are not affected.
    const other = await StoreLock.acquire(store, 'vol10', 'delete', 'host-b/2', fast);
    await other.release();
    await backup.release();
  });

  it('refuses backups and prunes while a delete holds the volume', async () => {
    const store = new MemoryObjectStore();
    const del = await StoreLock.acquire(store, 'vol1', 'delete', 'host-a/1', fast);
    expect((await refusal(StoreLock.acquire(store, 'vol1', 'backup', 'host-b/2', fast))).message).toContain('host-a/1');
    await refusal(StoreLock.acquire(store, 'vol1', 'restore', 'host-b/2', fast));
    await refusal(StoreLock.acquire(store, 'vol1', 'prune', 'host-b/2', fast));
    await del.release();
    const backup = await StoreLock.acquire(store, 'vol1', 'backup', 'host-b/2', fast);
    await backup.release();
  });

  it('ignores and removes a lock its holder stopped refreshing (a crashed host)', async () => {
    const store = new MemoryObjectStore();
    // A host died holding a delete lock: its object stays, and its mtime ages past the duration.
    const stale = `${locksDir('vol1')}lock-00000000000000aa.lck`;
    await store.put(
      stale,
      Buffer.from(JSON.stringify({ Name: '00000000000000aa', Type: 2, Acquired: true, Owner: 'dead-host/9', Since: '2026-01-01T00:00:00.000Z' })),
    );
    const old = new Date(Date.now() - DEFAULT_LOCK_OPTIONS.durationMs - 60_000);
    store.age(stale, old);
    const backup = await StoreLock.acquire(store, 'vol1', 'backup', 'host-a/1', fast);
    expect(await lockFiles(store, 'vol1')).toEqual([path.basename(backup.key)]);
    await backup.release();
  });

  it('keeps a held lock alive by refreshing it', async () => {
    const store = new MemoryObjectStore();
    const short: LockOptions = { durationMs: 400, refreshMs: 50, settleDelayMs: 0, intentWaitMs: 100 };
    const backup = await StoreLock.acquire(store, 'vol1', 'backup', 'host-a/1', short);
    await sleep(900);
    await refusal(StoreLock.acquire(store, 'vol1', 'delete', 'host-b/2', short));
    expect(() => backup.assertHeld()).not.toThrow();
    await backup.release();
    expect(() => backup.assertHeld()).toThrow(/not refreshed|lock/);
  });

  it('never lets two exclusive holders in at once, however the attempts interleave', async () => {
    const store = new MemoryObjectStore();
    let roundsWithAWinner = 0;
    for (let round = 0; round < 15; round++) {
      const attempts = await Promise.allSettled(['a', 'b', 'c'].map((host) => StoreLock.acquire(store, 'vol1', 'delete', `host-${host}`, fast)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      expect(won.length).toBeLessThanOrEqual(1);
      roundsWithAWinner += won.length;
      for (const a of attempts) if (a.status === 'rejected') expect(isConvoyError(a.reason, 'LOCKED')).toBe(true);
      for (const a of won) await (a as PromiseFulfilledResult<StoreLock>).value.release();
      expect(await lockFiles(store, 'vol1')).toEqual([]);
    }
    // Safety must not come from refusing everyone.
    expect(roundsWithAWinner).toBeGreaterThan(10);
  });

  it('waits for an earlier attempt to settle, then refuses if it is still pending', async () => {
    const store = new MemoryObjectStore();
    // Another host wrote its intent and stalled before deciding.
    await store.put(
      `${locksDir('vol1')}lock-0000000000000000.lck`,
      Buffer.from(JSON.stringify({ Name: '0000000000000000', Type: 2, Acquired: false, Owner: 'slow-host/7', Since: '2026-01-01T00:00:00.000Z' })),
    );
    await sleep(20);
    const started = Date.now();
    const err = await refusal(StoreLock.acquire(store, 'vol1', 'backup', 'host-a/1', fast));
    expect(Date.now() - started).toBeGreaterThanOrEqual(fast.intentWaitMs);
    expect(err.message).toContain('slow-host/7 is acquiring');
  });
});
