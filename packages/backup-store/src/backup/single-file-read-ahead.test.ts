import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectStore, SingleFileBackupOps, VolumeRecord } from '@convoy/core';
import { MemoryObjectStore } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';
import { READ_AHEAD_BYTES } from './single-file.js';

/**
 * A single-file restore overlaps fetching with writing: while the driver is busy writing
 * (extracting, fsyncing), the archive keeps arriving into a read-ahead buffer instead of the
 * download stalling at the first few stream buffers. Counted, not timed: how far the store's
 * stream has been read when the writer stops reading.
 */
const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;

/** The store's archive stream, chunk by chunk, counting how far it has been read. */
function countingStore(inner: MemoryObjectStore): { store: ObjectStore; pulled: () => number } {
  let at = 0;
  const store = Object.create(inner, {
    getStream: {
      value: async (key: string) => {
        const data = await inner.get(key);
        if (!data) return undefined;
        return new Readable({
          highWaterMark: CHUNK,
          read() {
            if (at >= data.length) {
              this.push(null);
              return;
            }
            const chunk = data.subarray(at, at + CHUNK);
            at += chunk.length;
            this.push(chunk);
          },
        });
      },
    },
  }) as ObjectStore;
  return { store, pulled: () => at };
}

/**
 * Lets the in-memory pipeline run (turns of the event loop, no clock) until the store's stream
 * has been read `bytes` far or has stopped moving for good (a bounded number of turns).
 */
async function settle(pulled: () => number, bytes: number): Promise<number> {
  for (let turn = 0; turn < 2000 && pulled() < bytes; turn++) await new Promise((resolve) => setImmediate(resolve));
  return pulled();
}

describe('single-file restore read-ahead', () => {
  it('keeps fetching the archive while the driver is not reading: up to the read-ahead, not a few stream buffers', async () => {
    const inner = new MemoryObjectStore();
    const archive = randomBytes(24 * MiB);
    const volume: VolumeRecord = { name: 'files', driver: 'dir', size: 0, createdAt: new Date().toISOString(), snapshots: [], driverInfo: {} };
    const { store, pulled } = countingStore(inner);
    let readWhileBusy = 0;
    let imported: Buffer | undefined;
    const ops: SingleFileBackupOps = {
      mode: 'single-file',
      exportSnapshot: async () => Readable.from([archive]),
      importVolume: async (req, stream) => {
        // The driver takes one chunk, then is busy (writing it) while the pipeline runs on.
        const iterator = stream[Symbol.asyncIterator]();
        const first = (await iterator.next()).value as Buffer;
        readWhileBusy = await settle(pulled, READ_AHEAD_BYTES);
        const rest: Buffer[] = [first];
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value as Buffer);
        imported = Buffer.concat(rest);
        return { ...volume, name: req.name };
      },
    };
    const engine = createBackupEngine();
    const common = { store, driverName: 'dir', ops, owner: 'host' };
    const summary = await engine.createBackup({
      ...common,
      destUrl: 'mem://store',
      volume,
      snapshot: { name: 'files-snap', volumeName: 'files', createdAt: new Date().toISOString(), driverInfo: {} },
      compression: 'none',
    });
    await engine.restoreBackup({ ...common, backupName: summary.name, volumeName: 'files', request: { name: 'files-copy', options: {} } });
    expect(imported?.equals(archive)).toBe(true);
    expect(readWhileBusy).toBeGreaterThanOrEqual(READ_AHEAD_BYTES);
  });
});
