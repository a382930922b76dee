// A restore whose signal has fired reads nothing more and takes no lock: the records it checks
// before the lock are read with the signal too, so a client already gone costs no store writes.
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { ConvoyError } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';

const engine = createBackupEngine();
const scratch = await tempDir('convoy-restore-cancel-');

describe('a restore already cancelled', () => {
  it('rejects with the reason before it takes the store lock, and leaves no volume', async () => {
    const store = new MemoryObjectStore();
    const source = await ImageSource.open(await mkdtemp(path.join(scratch, 'host-')));
    await source.createVolume('vol1', 4 * 1024 * 1024);
    await source.writeVolume('vol1', 0, Buffer.alloc(1024 * 1024, 7));
    await source.snapshot('vol1', 'snap1');
    const summary = await engine.createBackup({
      store,
      destUrl: store.url,
      driverName: 'image',
      volume: source.volumeRecord('vol1'),
      snapshot: source.snapshotRecord('vol1', 'snap1'),
      ops: source,
      owner: 'host',
    });
    const reason = new ConvoyError('CANCELLED', 'cancelled: the client closed its connection');
    const before = { ...store.stats };
    await expect(
      engine.restoreBackup({
        store,
        backupName: summary.name,
        volumeName: 'vol1',
        driverName: 'image',
        ops: source,
        request: { name: 'restored', options: {} },
        owner: 'host',
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
    expect(store.stats.put - before.put).toBe(0);
    expect(source.volumeNames()).toEqual(['vol1']);
  });
});
