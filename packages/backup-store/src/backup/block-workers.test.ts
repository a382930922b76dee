import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPRESSION_METHODS, isConvoyError } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockWorkers, defaultBlockThreads, sealRoom } from './block-workers.js';
import { createBackupEngine } from './engine.js';
import { ENGINE_GARBAGE_BUDGET } from './garbage-budget.js';
import { BLOCK_SIZE, volumeDir } from './layout.js';
import { parseBackupUrl } from './url.js';

const crashing = pathToFileURL(path.resolve(import.meta.dirname, '../testing/crashing-block-worker.mjs'));
const scratch = await tempDir('convoy-block-workers-');

async function makeEnv() {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const destUrl = 'mem://block-workers-test';
  const source = await ImageSource.open(path.join(dir, 'images'));
  await source.createVolume('vol1', 8 * BLOCK_SIZE);
  for (const i of [0, 1, 2, 5]) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.snapshot('vol1', 'snap1');
  const store = new MemoryObjectStore(destUrl);
  const args = {
    store,
    destUrl,
    driverName: 'image',
    volume: source.volumeRecord('vol1'),
    snapshot: source.snapshotRecord('vol1', 'snap1'),
    ops: source,
    owner: 'test-host/1',
  };
  return { dir, source, store, args };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe.each([2, 0])('block workers, %i threads', (threads) => {
  const workers = new BlockWorkers({ threads });
  afterAll(() => workers.close());

  it.each(COMPRESSION_METHODS)('seal then open round-trips a block with %s, reading the shared buffer in place', async (compression) => {
    const plain = Buffer.from(new SharedArrayBuffer(BLOCK_SIZE));
    randomBytes(BLOCK_SIZE / 2).copy(plain);
    const format = { compression };
    const name = await workers.name(plain, format);
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    const stored = await workers.seal(plain, format);
    if (compression !== 'none') expect(stored.length).toBeLessThan(BLOCK_SIZE);
    const opened = await workers.open(Buffer.from(stored), name, BLOCK_SIZE, format);
    expect(opened.equals(plain)).toBe(true);
  });

  it.each(COMPRESSION_METHODS)(
    "seals %s into the block's own slot and opens a blob where it lies into a shared buffer: the engine's thread receives no codec output",
    async (compression) => {
      const format = { compression };
      const slot = Buffer.from(new SharedArrayBuffer(sealRoom(BLOCK_SIZE)));
      // Incompressible: the sealed bytes outgrow the block, and must still fit the slot.
      randomBytes(BLOCK_SIZE).copy(slot);
      const plain = slot.subarray(0, BLOCK_SIZE);
      const original = Buffer.from(plain);
      const name = await workers.name(plain, format);
      const noted = { bytes: workers.garbage.uncollectedBytes, collections: workers.garbage.collections };
      const sealed = await workers.seal(plain, format, slot);
      // A pack restore's range buffer: the blob amid other bytes, read in place.
      const range = Buffer.from(new SharedArrayBuffer(sealed.length + 512));
      range.fill(0xee);
      sealed.copy(range, 256);
      const into = Buffer.from(new SharedArrayBuffer(BLOCK_SIZE));
      const opened = await workers.open(range.subarray(256, 256 + sealed.length), name, BLOCK_SIZE, format, undefined, into);
      expect(opened.equals(original)).toBe(true);
      if (threads === 0) return;
      expect(sealed.buffer).toBeInstanceOf(SharedArrayBuffer);
      if (compression !== 'none') {
        expect(sealed.buffer).toBe(slot.buffer);
        expect(opened.buffer).toBe(into.buffer);
      }
      expect({ bytes: workers.garbage.uncollectedBytes, collections: workers.garbage.collections }).toEqual(noted);
    },
  );

  it('open refuses bytes that are not the named block, or not its length, as CORRUPT', async () => {
    const format = { compression: 'zstd' as const };
    const plain = Buffer.from(new SharedArrayBuffer(4096));
    plain.fill(7);
    const name = await workers.name(plain, format);
    const stored = await workers.seal(plain, format);
    const other = await workers.seal(Buffer.alloc(4096, 8), format);
    const wrong = await failure(workers.open(Buffer.from(other), name, 4096, format));
    expect(isConvoyError(wrong, 'CORRUPT') && wrong.message).toMatch(/checksum verification/);
    const short = await failure(workers.open(Buffer.from(stored), name, 8192, format));
    expect(isConvoyError(short, 'CORRUPT') && short.message).toMatch(/holds 4096 bytes where the backup needs 8192/);
    const garbage = await failure(workers.open(Buffer.from('not zstd'), name, 4096, format));
    expect(isConvoyError(garbage, 'CORRUPT') && garbage.message).toMatch(/cannot decompress \(zstd\)/);
  });

  it("collects the codecs' output on the engine's thread by budget: never a budget of it left uncollected", async () => {
    const format = { compression: 'zstd' as const };
    const plain = Buffer.from(new SharedArrayBuffer(BLOCK_SIZE));
    const before = workers.garbage.collections;
    let received = 0;
    for (let block = 0; block < 12; block++) {
      randomBytes(BLOCK_SIZE).copy(plain);
      const name = await workers.name(plain, format);
      const stored = await workers.seal(plain, format);
      const opened = await workers.open(stored, name, BLOCK_SIZE, format);
      received += stored.length + opened.length;
      expect(workers.garbage.uncollectedBytes).toBeLessThan(ENGINE_GARBAGE_BUDGET);
    }
    // 12 incompressible blocks sealed and opened: about 48 MiB through this thread.
    expect(workers.garbage.collections - before).toBeGreaterThanOrEqual(Math.floor(received / ENGINE_GARBAGE_BUDGET) - 1);
    expect(workers.garbage.collections - before).toBeGreaterThanOrEqual(2);
  });

  it('a missing worker script is a clear error naming it', async () => {
    const missing = new BlockWorkers({ script: pathToFileURL('/nonexistent/block-worker.js'), threads: 1 });
    const err = await failure(missing.name(Buffer.alloc(16), { compression: 'lz4' }));
    expect(isConvoyError(err, 'INTERNAL') && err.message).toMatch(/block worker \/nonexistent\/block-worker.js is missing/);
  });
});

describe('the default thread count', () => {
  it('is one fewer than the cores, from 1 to 4, and none on a single core', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map(defaultBlockThreads)).toEqual([0, 1, 2, 3, 4, 4, 4]);
  });
});

describe('a block worker that crashes', () => {
  it('fails the backup with a clear error; no backup record and no lock remain', async () => {
    const env = await makeEnv();
    const engine = createBackupEngine({ blockWorkers: { script: crashing, threads: 2 } });
    const err = await failure(engine.createBackup(env.args));
    expect(isConvoyError(err, 'INTERNAL') && err.message).toMatch(/a block worker failed to compress a block/);
    expect(env.store.keysUnder(`${volumeDir('vol1')}backups/`)).toEqual([]);
    expect(env.store.keysUnder(`${volumeDir('vol1')}locks/`)).toEqual([]);
    expect(await engine.listBackups({ store: env.store, destUrl: env.args.destUrl, volumeName: 'vol1' })).toEqual([]);

    // The same backup then succeeds with working workers, and restores exactly.
    const healthy = createBackupEngine();
    const summary = await healthy.createBackup(env.args);
    const { backupName } = parseBackupUrl(summary.url);
    await healthy.restoreBackup({
      store: env.store,
      backupName,
      volumeName: 'vol1',
      driverName: 'image',
      ops: env.source,
      request: { name: 'restored', options: {} },
      owner: 'test-host/1',
    });
    expect((await readFile(env.source.volumePath('restored'))).equals(await readFile(env.source.snapshotPath('snap1')))).toBe(true);
  });

  it('fails the restore with a clear error; no volume, no partial image remains', async () => {
    const env = await makeEnv();
    const summary = await createBackupEngine().createBackup(env.args);
    const { backupName } = parseBackupUrl(summary.url);
    const engine = createBackupEngine({ blockWorkers: { script: crashing, threads: 2 } });
    const request = { name: 'restored', options: {} };
    const err = await failure(
      engine.restoreBackup({ store: env.store, backupName, volumeName: 'vol1', driverName: 'image', ops: env.source, request, owner: 'test-host/1' }),
    );
    expect(isConvoyError(err, 'INTERNAL') && err.message).toMatch(/a block worker failed to open a block/);
    await expect(readFile(env.source.volumePath('restored'))).rejects.toThrow(/ENOENT/);
    expect(await readdir(path.join(env.source.dir, 'restoring'))).toEqual([]);
  });
});
