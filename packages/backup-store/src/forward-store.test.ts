// forwardStore and the wrappers built on it keep the whole ObjectStore contract: the compliance
// suite runs over each, and the members hand-written wrappers used to drop are checked by name.
import { Readable } from 'node:stream';
import type { ObjectStore } from '@convoy/core';
import { forwardStore, STORE_METHODS } from '@convoy/core';
import { MemoryObjectStore, objectStoreComplianceSuite } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { generateMasterKey } from './backup/crypto/master-key.js';
import { sealedStore } from './backup/crypto/sealed-store.js';
import { backupFilesDir, volumeDir } from './backup/layout.js';

const fresh = () => new MemoryObjectStore();
const noCleanup = async () => {};
const master = generateMasterKey();

objectStoreComplianceSuite({ name: 'forwardStore over memory', cancellable: true, setup: async () => ({ store: forwardStore(fresh()), cleanup: noCleanup }) });
objectStoreComplianceSuite({
  name: 'sealedStore, keys in the clear',
  cancellable: true,
  setup: async () => ({ store: sealedStore(fresh(), master, 'vol'), cleanup: noCleanup }),
});
objectStoreComplianceSuite({
  name: 'sealedStore, sealed whole',
  cancellable: true,
  storedSizesDiffer: true,
  prefix: `${volumeDir('vol')}blocks/`,
  setup: async () => ({ store: sealedStore(fresh(), master, 'vol'), cleanup: noCleanup }),
});
objectStoreComplianceSuite({
  name: 'sealedStore, sealed as a stream (BackupFiles)',
  cancellable: true,
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

describe('forwardStore', () => {
  it('forwards the optional removeStaleWrites when the store has it, and claims it not when it has not', async () => {
    const inner = new SweepingStore();
    const cutoff = new Date('2026-01-01T00:00:00Z');
    expect(await forwardStore(inner).removeStaleWrites?.(cutoff)).toEqual(['.tmp-left-behind']);
    expect(inner.sweeps).toEqual([cutoff]);
    expect(forwardStore(fresh()).removeStaleWrites).toBeUndefined();
    expect(forwardStore(fresh(), { removeStaleWrites: async () => [] }).removeStaleWrites).toBeUndefined();
  });

  it('passes every argument through, put’s options included, and reads url and stats live', async () => {
    const inner = fresh();
    const seen: Array<{ signal?: AbortSignal } | undefined> = [];
    const spy: ObjectStore = forwardStore(inner, {
      put: (key, body, opts) => {
        seen.push(opts);
        return inner.put(key, body, opts);
      },
    });
    const signal = new AbortController().signal;
    await forwardStore(spy).put('k', Buffer.from('v'), { signal });
    expect(seen).toEqual([{ signal }]);
    expect(forwardStore(inner).url).toBe(inner.url);
    const wrapped = forwardStore(inner);
    await inner.get('k');
    expect(wrapped.stats).toBe(inner.stats);
    expect(wrapped.stats.get).toBe(1);
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
