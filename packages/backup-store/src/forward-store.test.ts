// forwardStore and the wrappers built on it keep the whole ObjectStore contract: the compliance
// suite runs over each, and the members hand-written wrappers used to drop are checked by name.
import { Readable } from 'node:stream';
import type { StoreCallOptions } from '@convoy/core';
import { forwardStore, STORE_METHODS } from '@convoy/core';
import { MemoryObjectStore, objectStoreComplianceSuite } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { generateMasterKey } from './backup/crypto/master-key.js';
import { sealedStore } from './backup/crypto/sealed-store.js';
import { backupFilesDir, volumeDir } from './backup/layout.js';

const fresh = () => new MemoryObjectStore();
const noCleanup = async () => {};
const master = generateMasterKey();

objectStoreComplianceSuite({ name: 'forwardStore over memory', setup: async () => ({ store: forwardStore(fresh()), cleanup: noCleanup }) });
objectStoreComplianceSuite({
  name: 'sealedStore, keys in the clear',
  setup: async () => ({ store: sealedStore(fresh(), master, 'vol'), cleanup: noCleanup }),
});
objectStoreComplianceSuite({
  name: 'sealedStore, sealed whole',
  storedSizesDiffer: true,
  prefix: `${volumeDir('vol')}blocks/`,
  setup: async () => ({ store: sealedStore(fresh(), master, 'vol'), cleanup: noCleanup }),
});
objectStoreComplianceSuite({
  name: 'sealedStore, sealed as a stream (BackupFiles)',
  storedSizesDiffer: true,
  prefix: backupFilesDir('vol'),
  setup: async () => ({ store: sealedStore(fresh(), master, 'vol'), cleanup: noCleanup }),
});

/** A memory store that also sweeps stale writes, recording what it was asked. */
class SweepingStore extends MemoryObjectStore {
  readonly sweeps: Date[] = [];
  async removeStaleWrites(olderThan: Date): Promise<string[]> {
    this.sweeps.push(olderThan);
    return ['.tmp-left-behind'];
  }
}

/** A memory store that records which call got which signal, and the arguments of ranged reads. */
class RecordingStore extends MemoryObjectStore {
  readonly seen: Array<{ method: string; signal: AbortSignal | undefined }> = [];
  readonly ranges: Array<{ offset: number; length: number; into: Buffer | undefined }> = [];
  private note(method: string, opts: StoreCallOptions | undefined): void {
    this.seen.push({ method, signal: opts?.signal });
  }
  override async get(key: string, opts?: StoreCallOptions) {
    this.note('get', opts);
    return super.get(key, opts);
  }
  override async getStream(key: string, opts?: StoreCallOptions) {
    this.note('getStream', opts);
    // Not super.getStream: the memory store's goes through this.get, which would note a get too.
    const data = await super.get(key, opts);
    return data && Readable.from([data]);
  }
  override async getRange(key: string, offset: number, length: number, into?: Buffer, opts?: StoreCallOptions) {
    this.note('getRange', opts);
    this.ranges.push({ offset, length, into });
    return super.getRange(key, offset, length, into, opts);
  }
  override async put(key: string, body: Buffer | Readable, opts?: StoreCallOptions) {
    this.note('put', opts);
    return super.put(key, body, opts);
  }
  override async head(key: string, opts?: StoreCallOptions) {
    this.note('head', opts);
    return super.head(key, opts);
  }
  override async *list(prefix: string, opts?: StoreCallOptions) {
    this.note('list', opts);
    yield* super.list(prefix, opts);
  }
  override async listDir(prefix: string, opts?: StoreCallOptions) {
    this.note('listDir', opts);
    return super.listDir(prefix, opts);
  }
  override async delete(keys: string[], opts?: StoreCallOptions) {
    this.note('delete', opts);
    return super.delete(keys, opts);
  }
}

describe('forwardStore', () => {
  it('forwards the optional removeStaleWrites when the store has it, and claims it not when it has not', async () => {
    const inner = new SweepingStore();
    const cutoff = new Date('2026-01-01T00:00:00Z');
    expect(await forwardStore(inner).removeStaleWrites?.(cutoff)).toEqual(['.tmp-left-behind']);
    expect(inner.sweeps).toEqual([cutoff]);
    expect(forwardStore(fresh()).removeStaleWrites).toBeUndefined();
    expect(forwardStore(fresh(), { removeStaleWrites: async () => [] }).removeStaleWrites).toBeUndefined();
  });

  it('passes every argument through, each call’s options (its signal) included, and reads url and stats live', async () => {
    const inner = new RecordingStore();
    await inner.put('k', Buffer.from('value'));
    inner.seen.length = 0;
    // A wrapper overriding one member, wrapped again: the signal reaches the store through both.
    const spy = forwardStore(inner, { head: (...args) => inner.head(...args) });
    const wrapped = forwardStore(spy);
    const signal = new AbortController().signal;
    const into = Buffer.alloc(3);
    await wrapped.get('k', { signal });
    await wrapped.getStream('k', { signal });
    expect(await wrapped.getRange('k', 1, 3, into, { signal })).toEqual(Buffer.from('alu'));
    await wrapped.put('k2', Buffer.from('v'), { signal });
    await wrapped.head('k', { signal });
    for await (const _ of wrapped.list('', { signal }));
    await wrapped.listDir('', { signal });
    await wrapped.delete(['k2'], { signal });
    expect(inner.seen).toEqual(['get', 'getStream', 'getRange', 'put', 'head', 'list', 'listDir', 'delete'].map((method) => ({ method, signal })));
    expect(inner.ranges).toEqual([{ offset: 1, length: 3, into }]);
    expect(forwardStore(inner).url).toBe(inner.url);
    const live = forwardStore(inner);
    const before = inner.stats.get;
    await inner.get('k');
    expect(live.stats).toBe(inner.stats);
    expect(live.stats.get).toBe(before + 1);
  });

  it('names every method of the contract', () => {
    expect([...STORE_METHODS].sort()).toEqual(['close', 'delete', 'get', 'getRange', 'getStream', 'head', 'list', 'listDir', 'put', 'removeStaleWrites']);
  });
});

describe('sealedStore', () => {
  it('a single-file upload to an encrypted volume is cancelled by its signal and leaves nothing', async () => {
    const inner = fresh();
    const store = sealedStore(inner, master, 'vol');
    const key = `${backupFilesDir('vol')}backup-1.bak`;
    const stop = new AbortController();
    const archive = new Readable({ read() {} });
    archive.push(Buffer.alloc(64 * 1024, 1));
    const upload = store.put(key, archive, { signal: stop.signal });
    stop.abort(new Error('daemon stopping'));
    await expect(upload).rejects.toThrow(/daemon stopping|abort/i);
    expect(inner.keysUnder(volumeDir('vol'))).toEqual([]);
  });

  it('forwards removeStaleWrites, so prune through an encrypted volume’s store still sweeps', async () => {
    const inner = new SweepingStore();
    expect(await sealedStore(inner, master, 'vol').removeStaleWrites?.(new Date())).toEqual(['.tmp-left-behind']);
  });
});
