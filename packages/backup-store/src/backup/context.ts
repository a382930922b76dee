import type { ObjectStore } from '@convoy/core';
import type { BlockWorkers } from './block-workers.js';
import type { BufferPool } from './buffer-pool.js';
import type { BackupRecordCache } from './record-cache.js';
import { type LockOperation, type LockOptions, StoreLock } from './store-lock.js';

/** What every engine operation shares: the buffer pool, the block workers, the lock settings and the defaults. */
export interface EngineContext {
  pool: BufferPool;
  workers: BlockWorkers;
  lock: LockOptions;
  concurrency: number;
  pruneGraceMs: number;
  /** Backup records read before (write-once, so only a delete can make one stale). */
  records: BackupRecordCache;
  /** Pack layout: the pack size new volumes record, and packs uploading at once (see pack-writer.ts). */
  packs: { size: number; uploads: number };
}

/** Runs `body` holding a store lock on the volume, and always releases it. */
export async function withStoreLock<T>(
  ctx: EngineContext,
  store: ObjectStore,
  volumeName: string,
  operation: LockOperation,
  owner: string,
  body: (lock: StoreLock) => Promise<T>,
): Promise<T> {
  const lock = await StoreLock.acquire(store, volumeName, operation, owner, ctx.lock);
  try {
    return await body(lock);
  } finally {
    await lock.release();
  }
}
