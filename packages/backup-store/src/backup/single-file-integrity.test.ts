import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CompressionMethod } from '@convoy/core';
import { isConvoyError } from '@convoy/core';
import { tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { backupSnapshot, makeSingleFileEnv, makeSnapshot, restoreBackupAs, type SingleFileEnv, tree } from '../../test/single-file-env.js';
import { createBackupEngine } from './engine.js';
import { backupConfigKey, backupFileKey } from './layout.js';

/**
 * A single-file backup is verified end to end: the record holds the archive's length and
 * SHA-256, lz4 frames carry content checksums, a plain tar must reach its end-of-archive marker,
 * and nothing becomes visible unless all of it checks out.
 */
const engine = createBackupEngine();
const scratch = await tempDir('convoy-single-file-integrity-');
const VOLUME = 'web-data';

async function backedUp(compression: CompressionMethod): Promise<{ env: SingleFileEnv; name: string; key: string; snapshotDir: string }> {
  const env = await makeSingleFileEnv(scratch);
  const snapshotDir = await makeSnapshot(env, 'snap1', 300 * 1024);
  const summary = await backupSnapshot(engine, env, 'snap1', compression);
  return { env, name: summary.name, key: backupFileKey(VOLUME, summary.name), snapshotDir };
}

async function mutateArchive(env: SingleFileEnv, key: string, mutate: (bytes: Buffer) => Buffer): Promise<void> {
  await env.store.put(key, mutate((await env.store.get(key))!));
}

/** Rewrites the record as an older Convoy would have left it: no archive size or checksum. */
async function dropArchiveChecksum(env: SingleFileEnv, name: string): Promise<void> {
  const key = backupConfigKey(VOLUME, name);
  const { ArchiveSize: _size, ArchiveSHA256: _sha, ...record } = JSON.parse((await env.store.get(key))!.toString()) as Record<string, unknown>;
  await env.store.put(key, Buffer.from(JSON.stringify(record)));
}

async function expectRefused(env: SingleFileEnv, name: string, why: RegExp): Promise<void> {
  const err = await restoreBackupAs(engine, env, name, 'restored').catch((e: unknown) => e);
  expect(isConvoyError(err, 'CORRUPT'), String(err)).toBe(true);
  expect((err as Error).message).toContain(name);
  expect((err as Error).message).toMatch(why);
  // Nothing became visible and nothing was left behind.
  expect(await readdir(path.join(env.base, 'volumes')).catch(() => [])).toEqual([]);
  expect(await readdir(path.join(env.base, 'incoming')).catch(() => [])).toEqual([]);
}

describe('single-file backups are verified end to end', () => {
  it.each(['lz4', 'gzip', 'none'] as const)('the record carries the archive length and SHA-256, and the archive restores (%s)', async (method) => {
    const { env, name, key, snapshotDir } = await backedUp(method);
    const record = JSON.parse((await env.store.get(backupConfigKey(VOLUME, name)))!.toString()) as Record<string, unknown>;
    const archive = (await env.store.get(key))!;
    expect(record['ArchiveSize']).toBe(archive.length);
    const { createHash } = await import('node:crypto');
    expect(record['ArchiveSHA256']).toBe(createHash('sha256').update(archive).digest('hex'));
    await restoreBackupAs(engine, env, name, 'restored');
    expect(await tree(path.join(env.base, 'volumes/restored'))).toEqual(await tree(snapshotDir));
  });

  it.each(['lz4', 'none'] as const)('one flipped byte fails the restore as CORRUPT naming the backup, and no volume appears (%s)', async (method) => {
    const { env, name, key } = await backedUp(method);
    await mutateArchive(env, key, (b) => {
      b[Math.floor(b.length / 2)]! ^= 0x01;
      return b;
    });
    await expectRefused(env, name, /checksum|corrupt/i);
  });

  it.each(['lz4', 'none'] as const)('a cut archive fails (%s)', async (method) => {
    const { env, name, key } = await backedUp(method);
    await mutateArchive(env, key, (b) => b.subarray(0, b.length - 700));
    await expectRefused(env, name, /truncated|ends|short/i);
  });

  it.each(['lz4', 'none'] as const)('trailing garbage fails (%s)', async (method) => {
    const { env, name, key } = await backedUp(method);
    await mutateArchive(env, key, (b) => Buffer.concat([b, Buffer.from('garbage after the archive')]));
    await expectRefused(env, name, /longer|trailing/i);
  });

  it('lz4 frames carry content checksums: a flipped byte fails even in a record without the archive checksum', async () => {
    const { env, name, key } = await backedUp('lz4');
    const FLG_CONTENT_CHECKSUM = 0x04;
    expect((await env.store.get(key))![4]! & FLG_CONTENT_CHECKSUM).toBe(FLG_CONTENT_CHECKSUM);
    await dropArchiveChecksum(env, name);
    // Random file data is stored as literals: the flip decodes fine and only the checksum can tell.
    await mutateArchive(env, key, (b) => {
      b[b.length - 2000]! ^= 0x01;
      return b;
    });
    await expectRefused(env, name, /checksum|corrupt/i);
  });

  it('a plain tar cut at an entry boundary fails even in a record without the archive checksum', async () => {
    const { env, name, key } = await backedUp('none');
    await dropArchiveChecksum(env, name);
    // './' (one header), PG_VERSION (header + one data block), data/ and empty (a header each).
    await mutateArchive(env, key, (b) => b.subarray(0, 5 * 512));
    await expectRefused(env, name, /end-of-archive|truncated/i);
  });

  it('a record without the archive checksum (older Convoy) still restores', async () => {
    const { env, name, snapshotDir } = await backedUp('lz4');
    await dropArchiveChecksum(env, name);
    await restoreBackupAs(engine, env, name, 'restored');
    expect(await tree(path.join(env.base, 'volumes/restored'))).toEqual(await tree(snapshotDir));
  });
});
