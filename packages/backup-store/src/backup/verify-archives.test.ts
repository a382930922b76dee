import type { CompressionMethod } from '@convoy/core';
import { tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { backupSnapshot, makeSingleFileEnv, makeSnapshot, restoreBackupAs, type SingleFileEnv } from '../../test/single-file-env.js';
import { createBackupEngine } from './engine.js';
import { backupConfigKey, backupFileKey } from './layout.js';

/**
 * `verify --deep` checks a single-file archive exactly as a restore does (length and SHA-256
 * against the record, then the compression stream): each mutation a restore refuses, verify
 * reports as a corrupt archive and names the backup it damages.
 */
const engine = createBackupEngine();
const scratch = await tempDir('convoy-verify-archives-');
const VOLUME = 'web-data';

async function backedUp(compression: CompressionMethod): Promise<{ env: SingleFileEnv; name: string; key: string }> {
  const env = await makeSingleFileEnv(scratch);
  await makeSnapshot(env, 'snap1', 300 * 1024);
  const summary = await backupSnapshot(engine, env, 'snap1', compression);
  return { env, name: summary.name, key: backupFileKey(VOLUME, summary.name) };
}

const mutations: Record<string, (b: Buffer) => Buffer> = {
  'a flipped byte': (b) => {
    const copy = Buffer.from(b);
    copy[copy.length >> 1]! ^= 0x01;
    return copy;
  },
  'an appended byte': (b) => Buffer.concat([b, Buffer.from([0])]),
  'a cut byte': (b) => b.subarray(0, b.length - 1),
};

describe('verify --deep checks archives as restore does', () => {
  for (const method of ['none', 'lz4', 'gzip'] as const) {
    for (const [what, mutate] of Object.entries(mutations)) {
      it(`${what} in a ${method} archive is reported, as restore refuses it`, async () => {
        const { env, name, key } = await backedUp(method);
        const healthy = await engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', deep: true });
        expect(healthy).toMatchObject({ ok: true, archivesRead: 1 });
        await env.store.put(key, mutate((await env.store.get(key))!));
        await expect(restoreBackupAs(engine, env, name, 'restored')).rejects.toMatchObject({ code: 'CORRUPT' });
        const report = await engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', deep: true });
        expect(report.ok).toBe(false);
        expect(report.problems).toEqual([expect.objectContaining({ kind: 'corrupt-archive', key, volumeName: VOLUME })]);
        expect(report.damagedBackups).toHaveLength(1);
        expect(report.damagedBackups[0]).toContain(name);
      });
    }
  }

  it('a plain tar cut at an entry boundary, in a record without the archive checksum (older Convoy), is reported, as restore refuses it', async () => {
    const { env, name, key } = await backedUp('none');
    const recordKey = backupConfigKey(VOLUME, name);
    const { ArchiveSize: _size, ArchiveSHA256: _sha, ...older } = JSON.parse((await env.store.get(recordKey))!.toString()) as Record<string, unknown>;
    await env.store.put(recordKey, Buffer.from(JSON.stringify(older)));
    expect(await engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', deep: true })).toMatchObject({ ok: true, archivesRead: 1 });
    // './', PG_VERSION (header and data), data/ and empty: whole entries, then no end-of-archive marker.
    await env.store.put(key, (await env.store.get(key))!.subarray(0, 5 * 512));
    await expect(restoreBackupAs(engine, env, name, 'restored')).rejects.toMatchObject({ code: 'CORRUPT' });
    const report = await engine.verify({ store: env.store, destUrl: env.destUrl, owner: 'verifier', deep: true });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'corrupt-archive', key, message: expect.stringContaining('end-of-archive') })]);
  });
});
