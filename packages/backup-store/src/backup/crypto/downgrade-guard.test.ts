import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoreLayout } from '@convoy/core';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from '../engine.js';
import { BLOCK_SIZE, backupConfigKey, volumeConfigKey } from '../layout.js';
import { parseBackupUrl } from '../url.js';
import { EncryptionMemory } from './downgrade-guard.js';

/**
 * The downgrade guard's witnesses, one at a time: the last backup's sealed record, the other
 * records when volume.cfg names no last backup, and the engine's memory when the bucket's
 * history was rewritten in the clear. And its cost on a clear volume: no listing, no whole record.
 */
const MiB = 1024 * 1024;
const scratch = await tempDir('convoy-downgrade-guard-');
const encryptionKey = { kind: 'key-file' as const, secret: randomBytes(32) };

async function makeEnv() {
  const source = await ImageSource.open(path.join(await mkdtemp(path.join(scratch, 'env-')), 'images'));
  await source.createVolume('vol1', 4 * MiB);
  return { source, store: new MemoryObjectStore('mem://downgrade'), engine: createBackupEngine({ encryptionKey }) };
}
type Env = Awaited<ReturnType<typeof makeEnv>>;

let snapshots = 0;
async function backup(env: Env, encrypt: boolean, layout?: StoreLayout) {
  await env.source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
  const snapshot = `s${(snapshots += 1)}`;
  await env.source.snapshot('vol1', snapshot);
  const summary = await env.engine.createBackup({
    store: env.store,
    destUrl: env.store.url,
    driverName: 'image',
    volume: env.source.volumeRecord('vol1'),
    snapshot: env.source.snapshotRecord('vol1', snapshot),
    ops: env.source,
    owner: 'host',
    encrypt,
    ...(layout ? { layout } : {}),
  });
  return parseBackupUrl(summary.url).backupName;
}

async function editVolumeConfig(env: Env, edit: (cfg: Record<string, unknown>) => void): Promise<void> {
  const cfg = JSON.parse((await env.store.get(volumeConfigKey('vol1')))!.toString()) as Record<string, unknown>;
  edit(cfg);
  await env.store.put(volumeConfigKey('vol1'), Buffer.from(JSON.stringify(cfg)));
}

async function expectRefused(env: Env, evidence: RegExp): Promise<void> {
  const puts = env.store.stats.put;
  await expect(backup(env, false)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(evidence) });
  expect(env.store.stats.put).toBe(puts);
}

describe('the encryption downgrade guard', () => {
  it('finds a sealed record among the others when volume.cfg names no last backup', async () => {
    const env = await makeEnv();
    await backup(env, true);
    await editVolumeConfig(env, (cfg) => {
      delete cfg['EncryptionKeyId'];
      cfg['LastBackupName'] = '';
    });
    // A fresh engine (a restarted daemon) remembers nothing: the records are the witness.
    await expectRefused(
      { ...env, engine: createBackupEngine({ encryptionKey }) },
      /backup record .* is encrypted, but its .*volume\.cfg has no EncryptionKeyId/,
    );
  });

  it('remembers a volume it backed up encrypted even when every record was rewritten in the clear', async () => {
    const env = await makeEnv();
    const sealed = await backup(env, true);
    // Forge the history in the clear: a clear volume's record under the same name (from another store).
    const other = { ...env, store: new MemoryObjectStore('mem://other') };
    const clear = await backup(other, false);
    const forged = (await other.store.get(backupConfigKey('vol1', clear)))!.toString().replaceAll(clear, sealed);
    await env.store.put(backupConfigKey('vol1', sealed), Buffer.from(forged));
    await editVolumeConfig(env, (cfg) => delete cfg['EncryptionKeyId']);
    await expectRefused(env, /this daemon backed it up encrypted, but its .*volume\.cfg has no EncryptionKeyId/);
    // A fresh engine has no such memory: the forged clear volume is the known limitation (README).
    const fresh = { ...env, engine: createBackupEngine({ encryptionKey }) };
    await expect(backup(fresh, false)).resolves.toBeDefined();
  });

  // The two listings of the lock, as before the guard; the pack layout's backup also lists its index objects.
  it.each([
    ['convoy-v0.5', 2],
    ['packs', 3],
  ] as const)('costs a clear %s volume no listing and no whole record', async (layout, listings) => {
    const env = await makeEnv();
    await backup(env, false, layout);
    const lists = env.store.stats.list;
    await backup(env, false, layout);
    expect(env.store.stats.list - lists).toBe(listings);
  });

  it('keeps its memory in a file when given one: a new engine on it remembers, and a damaged file is a STATE_ERROR naming it', async () => {
    const file = path.join(await mkdtemp(path.join(scratch, 'memory-')), 'encrypted-stores.json');
    const first = new EncryptionMemory(file);
    await Promise.all([
      first.sawStoreEncryptNewVolumes('s3://bucket/a'),
      first.sawVolumeEncrypted('s3://bucket/a', 'vol1'),
      first.sawVolumeEncrypted('vfs:///b', 'vol2'),
    ]);
    const again = new EncryptionMemory(file);
    expect(await again.storeEncryptsNewVolumes('s3://bucket/a')).toBe(true);
    expect(await again.storeEncryptsNewVolumes('vfs:///b')).toBe(false);
    expect(await again.volumeEncrypted('vfs:///b', 'vol2')).toBe(true);
    expect(await again.volumeEncrypted('s3://bucket/a', 'vol2')).toBe(false);
    await writeFile(file, '{"Stores": 7}');
    await expect(new EncryptionMemory(file).volumeEncrypted('vfs:///b', 'vol2')).rejects.toMatchObject({
      code: 'STATE_ERROR',
      message: expect.stringContaining(file),
    });
  });
});
