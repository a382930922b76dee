import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { currentProcessIdentity, isConvoyError, type ProcessIdentity } from '@convoy/core';
import { MemoryObjectStore } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { locksDir } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, StoreLock } from './store-lock.js';

/**
 * A store lock left by a process of this host that is gone (a daemon killed with -9, then
 * restarted) is broken at once, not after its 150 s duration; a live holder's lock, another
 * host's, and one without a usable identity are never broken early. The holders are real
 * processes: one that has exited, and this test process itself.
 */
const options = { ...DEFAULT_LOCK_OPTIONS, intentWaitMs: 300 };
const lockKey = locksDir('vol1') + 'lock-00000000000000aa.lck';

/** A pid that certainly ran on this kernel and has exited. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** A fresh exclusive lock held (as written by a Convoy daemon) by `holder`. */
async function storeHeldBy(holder: unknown): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  const record = {
    Name: '00000000000000aa',
    Type: 2,
    Acquired: true,
    Owner: 'this-host:1',
    Since: new Date().toISOString(),
    Operation: 'backup',
    DurationMs: 150_000,
    Process: holder,
  };
  await store.put(lockKey, Buffer.from(JSON.stringify(record)));
  return store;
}

describe('store locks of a holder that is gone', () => {
  it('breaks at once the lock of a process of this host that has exited, and removes it', async () => {
    const dead: ProcessIdentity = { ...currentProcessIdentity(), pid: await exitedPid(), startTime: '1' };
    const store = await storeHeldBy(dead);
    const forget = await StoreLock.acquire(store, 'vol1', 'forget', 'this-host:2', options);
    expect(await store.head(lockKey)).toBeUndefined();
    await forget.release();
  });

  it('breaks the lock of an exited process even when its pid now belongs to another process', async () => {
    // Our own pid with another start time: a process that held this pid before us.
    const store = await storeHeldBy({ ...currentProcessIdentity(), startTime: '1' });
    const prune = await StoreLock.acquire(store, 'vol1', 'prune', 'this-host:2', options);
    await prune.release();
  });

  const refusedCases: Array<[string, () => Promise<unknown>]> = [
    ['a live holder (this very process)', async () => currentProcessIdentity()],
    [
      'a holder on another kernel (another host) whose pid is free here',
      async () => ({ ...currentProcessIdentity(), pid: await exitedPid(), bootId: 'another-host-boot-id' }),
    ],
    ['a holder in another pid namespace (another container)', async () => ({ ...currentProcessIdentity(), pid: await exitedPid(), pidNamespace: 'pid:[1]' })],
    ['a holder without a boot id (no /proc where it ran)', async () => ({ ...currentProcessIdentity(), pid: await exitedPid(), bootId: '' })],
    ['a malformed identity', async () => ({ pid: 'x' })],
  ];
  it.each(refusedCases)('never breaks early the lock of %s', async (_what, holder) => {
    const store = await storeHeldBy(await holder());
    const err = await StoreLock.acquire(store, 'vol1', 'delete', 'this-host:2', options).catch((e: unknown) => e);
    expect(isConvoyError(err, 'LOCKED'), String(err)).toBe(true);
    expect(await store.head(lockKey)).toBeDefined();
  });
});
