import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '@convoy/core';
import { ConvoyError, isConvoyError } from '@convoy/core';
import { tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { backupSnapshot, makeSingleFileEnv, makeSnapshot, restoreBackupAs, type SingleFileEnv } from '../../test/single-file-env.js';
import { createBackupEngine } from './engine.js';
import { backupConfigKey, backupFileKey, volumeConfigKey } from './layout.js';

/**
 * Each stage of the single-file pipelines killed in turn: the operation fails with the stage's
 * error, within a deadline, leaving no volume and no backup, and nothing reaches the process as
 * an unhandled error (vitest fails a file on any).
 */
const engine = createBackupEngine();
const scratch = await tempDir('convoy-single-file-failures-');
const VOLUME = 'web-data';
const DEADLINE_MS = 10_000;

/** A store whose stream operations fail after `afterBytes` bytes, as a full disk or a dying server would. */
function failingStore(inner: ObjectStore, fault: { put?: number; getStream?: number }): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put' && fault.put !== undefined) {
        const limit = fault.put;
        return async (key: string, body: Buffer | Readable) => {
          if (Buffer.isBuffer(body)) return target.put(key, body);
          let seen = 0;
          for await (const chunk of body) {
            seen += (chunk as Buffer).length;
            if (seen > limit) throw new ConvoyError('STORE_ERROR', `writing ${key}: ENOSPC: no space left on device (injected)`);
          }
          throw new Error('the archive ended before the injected fault');
        };
      }
      if (prop === 'getStream' && fault.getStream !== undefined) {
        const limit = fault.getStream;
        return async (key: string) => {
          const source = await target.getStream(key);
          if (!source) return source;
          let seen = 0;
          return Readable.from(
            (async function* () {
              for await (const chunk of source) {
                seen += (chunk as Buffer).length;
                if (seen > limit) throw new ConvoyError('STORE_ERROR', `reading ${key}: ECONNRESET (injected)`);
                yield chunk;
              }
            })(),
          );
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

function withDeadline<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms: the operation hangs`)), DEADLINE_MS).unref()),
  ]);
}

async function expectNoBackup(env: SingleFileEnv): Promise<void> {
  expect(await engine.listBackups({ store: env.store, destUrl: env.destUrl }).catch(() => [])).toEqual([]);
}

async function expectNoVolume(env: SingleFileEnv): Promise<void> {
  expect(await readdir(path.join(env.base, 'volumes')).catch(() => [])).toEqual([]);
  expect(await readdir(path.join(env.base, 'incoming')).catch(() => [])).toEqual([]);
}

describe('single-file backup: each stage killed in turn', () => {
  it('the driver tar failing halfway fails the backup with its error', async () => {
    const failingTar = (): Readable =>
      Readable.from(
        (async function* () {
          yield Buffer.alloc(512 * 1024, 1);
          throw new ConvoyError('INTERNAL', 'EIO: i/o error reading the snapshot (injected)');
        })(),
      );
    const env = await makeSingleFileEnv(scratch, failingTar);
    const err = await withDeadline(backupSnapshot(engine, env, 'snap1', 'lz4')).catch((e: unknown) => e);
    expect((err as Error).message).toContain('EIO');
    await expectNoBackup(env);
  });

  it.each(['lz4', 'gzip', 'none'] as const)('the store failing mid-upload (disk full, S3 500) fails the backup with the store error (%s)', async (method) => {
    const env = await makeSingleFileEnv(scratch);
    await makeSnapshot(env, 'snap1', 4 * 1024 * 1024);
    env.store = failingStore(env.store, { put: 64 * 1024 });
    const err = await withDeadline(backupSnapshot(engine, env, 'snap1', method)).catch((e: unknown) => e);
    expect(isConvoyError(err, 'STORE_ERROR'), String(err)).toBe(true);
    expect((err as Error).message).toContain('ENOSPC');
    await expectNoBackup(env);
  });

  it("a cancelled backup stops with the signal's reason (not a stage's echo of it) and leaves no backup", async () => {
    const env = await makeSingleFileEnv(scratch);
    await makeSnapshot(env, 'snap1', 4 * 1024 * 1024);
    const controller = new AbortController();
    const running = backupSnapshotWithSignal(env, controller.signal);
    const reason = new ConvoyError('CANCELLED', 'cancelled: the client closed its connection');
    setTimeout(() => controller.abort(reason), 5);
    const err = await withDeadline(running).catch((e: unknown) => e);
    expect(err).toBe(reason);
    await expectNoBackup(env);
    // It was the volume's first backup: not even its volume.cfg is left.
    expect(await env.store.head(volumeConfigKey(VOLUME))).toBeUndefined();
  });
});

function backupSnapshotWithSignal(env: SingleFileEnv, signal: AbortSignal) {
  return engine.createBackup({
    store: env.store,
    destUrl: env.destUrl,
    driverName: 'dir',
    volume: { name: VOLUME, driver: 'dir', size: 0, createdAt: '2024-01-02T03:04:05.000Z', snapshots: [], driverInfo: {} },
    snapshot: { name: 'snap1', volumeName: VOLUME, createdAt: '2024-01-02T03:05:00.000Z', driverInfo: {} },
    ops: env.ops,
    owner: 'test-host/1',
    signal,
  });
}

describe('single-file restore: each stage killed in turn', () => {
  async function backedUp(): Promise<{ env: SingleFileEnv; name: string }> {
    const env = await makeSingleFileEnv(scratch);
    await makeSnapshot(env, 'snap1', 2 * 1024 * 1024);
    return { env, name: (await backupSnapshot(engine, env, 'snap1', 'lz4')).name };
  }

  it('the download failing halfway fails the restore with the store error, naming the backup', async () => {
    const { env, name } = await backedUp();
    env.store = failingStore(env.store, { getStream: 300 * 1024 });
    const err = await withDeadline(restoreBackupAs(engine, env, name, 'restored')).catch((e: unknown) => e);
    expect(isConvoyError(err, 'STORE_ERROR'), String(err)).toBe(true);
    expect((err as Error).message).toContain(name);
    await expectNoVolume(env);
  });

  it.each([
    ['garbage', Buffer.from('this is not an lz4 frame at all, not even close')],
    ['empty', Buffer.alloc(0)],
  ])(
    'an archive that is %s fails at once, even in a record without a checksum: the decompressor failing first does not hang the restore',
    async (_kind, bytes) => {
      const { env, name } = await backedUp();
      const recordKey = backupConfigKey(VOLUME, name);
      const { ArchiveSize: _s, ArchiveSHA256: _h, ...record } = JSON.parse((await env.store.get(recordKey))!.toString()) as Record<string, unknown>;
      await env.store.put(recordKey, Buffer.from(JSON.stringify(record)));
      await env.store.put(backupFileKey(VOLUME, name), bytes);
      const err = await withDeadline(restoreBackupAs(engine, env, name, 'restored')).catch((e: unknown) => e);
      expect(isConvoyError(err, 'CORRUPT'), String(err)).toBe(true);
      expect((err as Error).message).toContain(name);
      await expectNoVolume(env);
    },
  );

  it('the extractor failing (driver refuses to write) fails the restore and stops the download', async () => {
    const { env, name } = await backedUp();
    let read = 0;
    const inner = env.ops.importVolume;
    env.ops = {
      ...env.ops,
      importVolume: async (req, archive) => {
        for await (const chunk of archive) {
          read += (chunk as Buffer).length;
          if (read > 100_000) throw new ConvoyError('INTERNAL', 'ENOSPC: no space left on the volume path (injected)');
        }
        return inner(req, archive);
      },
    };
    const err = await withDeadline(restoreBackupAs(engine, env, name, 'restored')).catch((e: unknown) => e);
    expect((err as Error).message).toContain('ENOSPC');
    await expectNoVolume(env);
  });
});
