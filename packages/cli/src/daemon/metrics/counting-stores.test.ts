// The metrics' store wrapper keeps the whole ObjectStore contract: it runs the compliance suite,
// and the members the hand-written wrapper dropped (removeStaleWrites, put's signal) work through it.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createBackupEngine } from '@convoy/backup-store';
import type { ObjectStore } from '@convoy/core';
import { memoryStoreDefinition, objectStoreComplianceSuite } from '@convoy/core/testing';
import fsStores from '@convoy/objectstore-fs';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import { ConvoyMetrics } from './convoy-metrics.js';
import { CountingStoreRegistry } from './counting-stores.js';

async function counted(url: string, metrics = new ConvoyMetrics()): Promise<ObjectStore> {
  const stores = new CountingStoreRegistry(metrics);
  stores.register(memoryStoreDefinition());
  stores.register(fsStores);
  const parsed = new URL(url);
  return (await stores.resolve(parsed.protocol.replace(/:$/, ''))).open(parsed, {});
}

objectStoreComplianceSuite({
  name: 'counting store (metrics on) over memory',
  setup: async () => ({ store: await counted('mem://compliance'), cleanup: async () => {} }),
});

describe('the counting store (daemon with --metrics-listen)', () => {
  it('lets prune sweep the stale writes of a directory store', async () => {
    const dir = await tempDir('convoy-counting-prune-');
    const store = await counted(`vfs://${dir}`);
    await mkdir(path.join(dir, 'convoy-objectstore'), { recursive: true });
    const stale = path.join(dir, 'convoy-objectstore', '.volume.cfg.0123456789ab.tmp');
    await writeFile(stale, 'half a write');
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    await utimes(stale, dayAgo, dayAgo);
    const report = await createBackupEngine().prune({ store, owner: 'test:1', graceMs: 3600_000 });
    expect(report.staleWritesRemoved).toEqual(['convoy-objectstore/.volume.cfg.0123456789ab.tmp']);
    await store.close();
  });

  it('passes put’s signal on, so a cancelled upload stops and writes nothing', async () => {
    const store = await counted('mem://cancelled');
    const stop = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1024, 7));
    const upload = store.put('convoy-objectstore/volumes/ab/cd/v/BackupFiles/b.bak', body, { signal: stop.signal });
    stop.abort(new Error('daemon stopping'));
    await expect(upload).rejects.toThrow(/daemon stopping|aborted/);
    expect(await store.head('convoy-objectstore/volumes/ab/cd/v/BackupFiles/b.bak')).toBeUndefined();
  });

  it('counts the requests it forwards', async () => {
    const metrics = new ConvoyMetrics();
    const store = await counted('mem://counted', metrics);
    await store.put('k', Buffer.from('v'));
    await store.get('k');
    for await (const _ of store.list('')) void _;
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/convoy_store_requests_total\{scheme="mem",kind="put"\} 1/);
    expect(text).toMatch(/convoy_store_requests_total\{scheme="mem",kind="get"\} 1/);
    expect(text).toMatch(/convoy_store_requests_total\{scheme="mem",kind="list"\} 1/);
  });
});
