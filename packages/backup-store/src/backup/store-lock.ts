import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectInfo, ObjectStore } from '@convoy/core';
import { ConvoyError, currentProcessIdentity, isProcessGone, type ProcessIdentity } from '@convoy/core';
import { locksDir } from './layout.js';

/**
 * Locks in the store, so that many hosts can share one store (Longhorn's scheme, made safe
 * without its fixed 2 s sleep on strongly consistent stores).
 *
 * A lock is an object `<volumeDir>/locks/lock-<id>.lck` holding {Name, Type, Acquired, Owner,
 * Since, Operation, DurationMs}. Backup, restore and verify share (type 1); delete, forget and
 * prune exclude everything (type 2). Ages are measured with the server's mtimes only (ours against theirs), so
 * clocks of different hosts never matter; a lock whose holder stopped refreshing it for its own
 * DurationMs is ignored (a crashed host). A lock also carries its holder's process identity
 * (boot id, pid namespace, pid, start time): one whose holder ran on this very kernel and is
 * certainly gone (a daemon killed with -9 and restarted) is ignored at once. A live holder, or
 * one on another host or in another container, is never judged gone; those only expire.
 *
 * Acquire: write an intent (Acquired=false), list, and back off from any conflicting lock that
 * is acquired or that precedes ours (older mtime, then name: one total order that every host
 * computes alike). Then mark ours acquired and list again: if another conflicting lock is
 * acquired too, the two raced through the first check and at least the later one sees it, so
 * we give up. Two hosts may both give up in that rare race; never can both proceed.
 */
export type LockOperation = 'backup' | 'restore' | 'verify' | 'delete' | 'prune' | 'forget';

export interface LockOptions {
  /** A lock not refreshed for this long is ignored (its holder crashed). Default 150 s. */
  durationMs: number;
  /** How often a held lock is rewritten. Default 60 s; must be well under durationMs. */
  refreshMs: number;
  /**
   * Wait between writing our lock and listing the others. 0 (default) is right for S3, MinIO,
   * s3rver and filesystems, which list what was just written; set it for an eventually
   * consistent server to the time it takes a new object to appear in listings.
   */
  settleDelayMs: number;
  /** How long to wait for conflicting intents (not yet acquired) to resolve. Default 2 s. */
  intentWaitMs: number;
}

export const DEFAULT_LOCK_OPTIONS: LockOptions = { durationMs: 150_000, refreshMs: 60_000, settleDelayMs: 0, intentWaitMs: 2_000 };

const SHARED = 1;
const EXCLUSIVE = 2;
const TYPE: Record<LockOperation, number> = { backup: SHARED, restore: SHARED, verify: SHARED, delete: EXCLUSIVE, prune: EXCLUSIVE, forget: EXCLUSIVE };

interface LockRecord {
  Name: string;
  Type: number;
  Acquired: boolean;
  Owner: string;
  Since: string;
  Operation?: string;
  /** The holder's lock duration: others judge its expiry by it, whatever their own setting. */
  DurationMs?: number;
  /** Who holds it, precisely enough for a process on the same kernel to tell it is gone. */
  Process?: ProcessIdentity;
  /** Ours, never stored: the object did not parse (`backup verify` reports it). */
  Unreadable?: true;
}

interface SeenLock {
  record: LockRecord;
  info: ObjectInfo;
}

export class StoreLock {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastWriteAt = Date.now();
  private released = false;

  private constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly record: LockRecord,
    private readonly options: LockOptions,
    /** Server time of our last write: the clock prune compares block ages with. */
    readonly serverTime: Date,
  ) {}

  static async acquire(store: ObjectStore, volumeName: string, operation: LockOperation, owner: string, options: LockOptions): Promise<StoreLock> {
    if (options.refreshMs >= options.durationMs) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `lock refresh interval ${options.refreshMs} ms must be shorter than the lock duration ${options.durationMs} ms`,
      );
    }
    const id = randomBytes(8).toString('hex');
    const dir = locksDir(volumeName);
    const key = `${dir}lock-${id}.lck`;
    const record: LockRecord = {
      Name: id,
      Type: TYPE[operation],
      Acquired: false,
      Owner: owner,
      Since: new Date().toISOString(),
      Operation: operation,
      DurationMs: options.durationMs,
      Process: currentProcessIdentity(),
    };
    const refuse = async (holder: LockRecord): Promise<never> => {
      await store.delete([key]).catch(() => undefined);
      throw lockedError(store, volumeName, operation, holder);
    };

    await writeLock(store, key, record);
    const waitUntil = Date.now() + options.intentWaitMs;
    let ours: ObjectInfo;
    for (;;) {
      if (options.settleDelayMs > 0) await sleep(options.settleDelayMs);
      const view = await readLocks(store, dir, key, options);
      ours = view.ours;
      const conflicts = view.others.filter((other) => conflicting(record, other.record));
      const held = conflicts.find((other) => other.record.Acquired);
      if (held) return refuse(held.record);
      const ahead = conflicts.find((other) => precedes(other, ours, id));
      if (!ahead) break;
      // An earlier intent either becomes a held lock (then we refuse) or gives up: wait a little.
      if (Date.now() >= waitUntil) return refuse(ahead.record);
      await sleep(50 + Math.random() * 150);
    }

    record.Acquired = true;
    await writeLock(store, key, record);
    const view = await readLocks(store, dir, key, options);
    const raced = view.others.find((other) => conflicting(record, other.record) && other.record.Acquired);
    if (raced) return refuse(raced.record);

    const lock = new StoreLock(store, key, record, options, view.ours.mtime);
    lock.startRefreshing();
    return lock;
  }

  /** Throws if the lock may have expired (refreshes failed for too long); call before committing. */
  assertHeld(): void {
    const age = Date.now() - this.lastWriteAt;
    if (this.released || age >= this.options.durationMs) {
      throw new ConvoyError(
        'LOCKED',
        `the store lock ${this.key} was not refreshed for ${Math.round(age / 1000)} s and may have been taken over; nothing was committed`,
      );
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    // A refresh still in flight would re-create the lock after we delete it.
    await this.refreshing;
    // If the delete fails the lock simply expires; the operation itself has already finished.
    await this.store.delete([this.key]).catch(() => undefined);
  }

  private startRefreshing(): void {
    this.timer = setInterval(() => {
      if (this.refreshing) return;
      this.refreshing = writeLock(this.store, this.key, this.record)
        .then(
          () => {
            this.lastWriteAt = Date.now();
          },
          // A failed refresh is retried at the next tick; assertHeld() catches a lock that lapsed.
          () => undefined,
        )
        .finally(() => {
          this.refreshing = undefined;
        });
    }, this.options.refreshMs);
    this.timer.unref();
  }
}

async function writeLock(store: ObjectStore, key: string, record: LockRecord): Promise<void> {
  await store.put(key, Buffer.from(JSON.stringify(record)));
}

/** Every other live lock of the volume, with our own lock's listing entry (its server time). */
async function readLocks(store: ObjectStore, dir: string, key: string, options: LockOptions): Promise<{ ours: ObjectInfo; others: SeenLock[] }> {
  const infos: ObjectInfo[] = [];
  for await (const info of store.list(dir)) if (info.key.endsWith('.lck')) infos.push(info);
  const ours = infos.find((info) => info.key === key) ?? (await store.head(key));
  if (!ours)
    throw new ConvoyError(
      'STORE_ERROR',
      `the lock ${key} we just wrote is not in ${store.url}; if the server lists new objects late, set the lock settle delay`,
    );
  const others: SeenLock[] = [];
  const expired: string[] = [];
  await Promise.all(
    infos
      .filter((info) => info.key !== key)
      .map(async (info) => {
        const data = await store.get(info.key);
        if (!data) return;
        const record = parseLock(data, info.key);
        const expiredByAge = ours.mtime.getTime() - info.mtime.getTime() > (record.DurationMs ?? options.durationMs);
        if (expiredByAge || (record.Process && isProcessGone(record.Process))) expired.push(info.key);
        else others.push({ info, record });
      }),
  );
  // Crashed holders leave their locks behind; removing them keeps the directory small.
  if (expired.length > 0) await store.delete(expired).catch(() => undefined);
  return { ours, others };
}

/** An unreadable lock is treated as an exclusive held one: safe, and it expires like any other. */
export function parseLock(data: Buffer, key: string): LockRecord {
  try {
    const value = JSON.parse(data.toString('utf8')) as Partial<LockRecord>;
    if (typeof value.Type === 'number' && typeof value.Acquired === 'boolean') {
      const durationMs = typeof value.DurationMs === 'number' && value.DurationMs > 0 ? value.DurationMs : undefined;
      const process = processIdentityOf(value.Process);
      return {
        Name: String(value.Name ?? key),
        Type: value.Type,
        Acquired: value.Acquired,
        Owner: String(value.Owner ?? 'unknown'),
        Since: String(value.Since ?? ''),
        Operation: value.Operation,
        DurationMs: durationMs,
        ...(process ? { Process: process } : {}),
      };
    }
  } catch {
    // fall through
  }
  return { Name: key, Type: EXCLUSIVE, Acquired: true, Owner: `unknown (unreadable lock ${key})`, Since: '', Unreadable: true };
}

/** A holder identity exactly as written by a Convoy that records one; anything else is none (the lock then only expires). */
function processIdentityOf(value: unknown): ProcessIdentity | undefined {
  const v = value as Partial<ProcessIdentity> | undefined;
  if (!v || typeof v !== 'object') return undefined;
  const { host, pid, bootId, startTime, pidNamespace } = v;
  if (typeof host !== 'string' || typeof bootId !== 'string' || typeof startTime !== 'string' || typeof pidNamespace !== 'string') return undefined;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { host, pid, bootId, startTime, pidNamespace };
}

function conflicting(a: LockRecord, b: LockRecord): boolean {
  return a.Type === EXCLUSIVE || b.Type !== a.Type;
}

function precedes(other: SeenLock, ours: ObjectInfo, ourName: string): boolean {
  const dt = other.info.mtime.getTime() - ours.mtime.getTime();
  return dt < 0 || (dt === 0 && other.record.Name < ourName);
}

function lockedError(store: ObjectStore, volumeName: string, operation: LockOperation, holder: LockRecord): ConvoyError {
  const what = holder.Operation ? `${holder.Operation} ` : '';
  const state = holder.Acquired ? 'holds' : 'is acquiring';
  return new ConvoyError(
    'LOCKED',
    `cannot ${operation}: volume ${volumeName} in ${store.url} is locked; ${holder.Owner} ${state} a ${what}lock since ${holder.Since || 'an unknown time'}. ` +
      'Try again when it has finished (a lock left by a crashed host expires on its own).',
    { details: { volume: volumeName, owner: holder.Owner, since: holder.Since, operation: holder.Operation ?? null, store: store.url } },
  );
}
