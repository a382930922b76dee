/**
 * A separate process running one engine operation on a vfs store and an image source, for the
 * crash and concurrency tests (crash.test.ts bundles it with esbuild and runs it with node).
 *
 * argv[2] is a JSON `ChildJob`. The result goes to stdout as one JSON line: {ok, result} or
 * {ok: false, error}. `dieAt` SIGKILLs the process itself just as a chosen store write or delete
 * starts: a real kill at an exact point. `slowReadMs` and `slowMutationMs` delay snapshot reads
 * and store mutations, to widen the window for a kill or a second process from outside.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createBackupEngine, type LockOptions, type RetentionPolicy } from '@convoy/backup-store';
import { type ObjectStore, type StoreLayout, toConvoyError } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import { openFsObjectStore } from '@convoy/objectstore-fs';

export interface ChildJob {
  op: 'backup' | 'delete' | 'forget' | 'prune' | 'copy';
  store: string;
  /** Copy: the target store (the one `dieAt` watches); `store` is the source. */
  to?: string;
  source: string;
  volume: string;
  snapshot?: string;
  backup?: string;
  policy?: RetentionPolicy;
  owner: string;
  lock?: Partial<LockOptions>;
  concurrency?: number;
  /** Backups: the store layout to ask for (default: the volume's, else packs). */
  layout?: StoreLayout;
  /** The engine's pack size (tests use small packs, so that a backup writes several). */
  packSize?: number;
  /** Prune: its grace period (default 0 here) and unused share. */
  graceMs?: number;
  maxUnused?: number;
  dieAt?: DeathPoint;
  slowReadMs?: number;
  slowMutationMs?: number;
}

/** The `nth` (default 1st) put or delete whose key contains `key`. */
export interface DeathPoint {
  op: 'put' | 'delete';
  key: string;
  nth?: number;
}

function instrumented(store: ObjectStore, job: ChildJob): ObjectStore {
  let seen = 0;
  const mutate =
    <A extends unknown[]>(op: DeathPoint['op'], keysOf: (...args: A) => string[], fn: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const at = job.dieAt;
      if (at && at.op === op && keysOf(...args).some((k) => k.includes(at.key)) && ++seen === (at.nth ?? 1)) process.kill(process.pid, 'SIGKILL');
      if (job.slowMutationMs) await sleep(job.slowMutationMs);
      await fn(...args);
    };
  return {
    url: store.url,
    stats: store.stats,
    get: (k) => store.get(k),
    getStream: (k) => store.getStream(k),
    getRange: (k, offset, length) => store.getRange(k, offset, length),
    head: (k) => store.head(k),
    list: (p) => store.list(p),
    listDir: (p) => store.listDir(p),
    close: () => store.close(),
    put: mutate<Parameters<ObjectStore['put']>>(
      'put',
      (k) => [k],
      (k, b) => store.put(k, b),
    ),
    delete: mutate<Parameters<ObjectStore['delete']>>(
      'delete',
      (keys) => keys,
      (keys) => store.delete(keys),
    ),
  };
}

async function run(job: ChildJob): Promise<unknown> {
  const opened = await openFsObjectStore(new URL(job.store));
  const store = job.op === 'copy' ? opened : instrumented(opened, job);
  const source = await ImageSource.open(job.source);
  const engine = createBackupEngine({ lock: job.lock, concurrency: job.concurrency, ...(job.packSize ? { packs: { size: job.packSize } } : {}) });
  const destUrl = job.store;
  switch (job.op) {
    case 'backup':
      return engine.createBackup({
        store,
        destUrl,
        driverName: 'image',
        volume: source.volumeRecord(job.volume),
        snapshot: source.snapshotRecord(job.volume, job.snapshot!),
        ops: job.slowReadMs ? source.withReadHook(() => sleep(job.slowReadMs)) : source,
        owner: job.owner,
        ...(job.layout ? { layout: job.layout } : {}),
      });
    case 'prune':
      return engine.prune({ store, owner: job.owner, graceMs: job.graceMs ?? 0, ...(job.maxUnused === undefined ? {} : { maxUnused: job.maxUnused }) });
    case 'delete':
      await engine.deleteBackup({ store, destUrl, volumeName: job.volume, backupName: job.backup!, owner: job.owner });
      return null;
    case 'forget':
      return engine.forgetBackups({ store, destUrl, volumeName: job.volume, policy: job.policy!, owner: job.owner });
    case 'copy':
      return engine.copyBackups({
        from: store,
        to: instrumented(await openFsObjectStore(new URL(job.to!)), job),
        owner: job.owner,
        ...(job.layout ? { layout: job.layout } : {}),
      });
  }
}

const job = JSON.parse(process.argv[2]!) as ChildJob;
run(job).then(
  (result) => process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`),
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: toConvoyError(err).toJSON() })}\n`);
    process.exitCode = 1;
  },
);
