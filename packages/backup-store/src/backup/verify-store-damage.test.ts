import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { KEYS_DIR } from './crypto/key-records.js';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, locksDir, volumeConfigKey } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, StoreLock } from './store-lock.js';

/**
 * A whole-store verify reports damage it meets and goes on: a corrupt volume.cfg is one volume's
 * problem, named, while the others are verified; junk in the key records is reported; a volume
 * a delete or prune holds is "not checked", never counted as damage.
 */
const MiB = 1024 * 1024;
const engine = createBackupEngine();
const scratch = await tempDir('convoy-verify-damage-');

async function storeWithTwoVolumes() {
  const source = await ImageSource.open(path.join(await mkdtemp(path.join(scratch, 'env-')), 'images'));
  const store = new MemoryObjectStore('mem://verify-damage');
  for (const volume of ['vol1', 'vol2']) {
    await source.createVolume(volume, 4 * MiB);
    await source.writeVolume(volume, 0, randomBytes(BLOCK_SIZE));
    await source.snapshot(volume, `${volume}-s1`);
    await engine.createBackup({
      store,
      destUrl: store.url,
      driverName: 'image',
      volume: source.volumeRecord(volume),
      snapshot: source.snapshotRecord(volume, `${volume}-s1`),
      ops: source,
      owner: 'host',
    });
  }
  return store;
}

const verify = (store: MemoryObjectStore) => engine.verify({ store, destUrl: store.url, owner: 'verifier' });

describe('a whole-store verify goes on past damage', () => {
  it.each([
    ['not JSON', '{"Name": "vo'],
    ['another volume', JSON.stringify({ Name: 'vol1', Driver: 'image', Size: 4194304 })],
    ['a bad key id', JSON.stringify({ Name: 'vol2', Driver: 'image', Size: 4194304, EncryptionKeyId: 'nope' })],
  ])('a volume.cfg that is %s is reported for its volume, and the other volume is verified', async (_what, junk) => {
    const store = await storeWithTwoVolumes();
    await store.put(volumeConfigKey('vol2'), Buffer.from(junk));
    const report = await verify(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unreadable-record', key: volumeConfigKey('vol2'), volumeName: 'vol2' })]);
    expect(report).toMatchObject({ volumes: 1, backups: 1 });
  });

  it.each([
    ['{"Id":"x"}', '0123456789abcdef.key'],
    ['not json', '0123456789abcdef.key'],
    ['{"Id":"x"}', 'x.key'],
    ['not json', 'junk'],
  ])('a key record %s at keys/%s is reported', async (junk, file) => {
    const store = await storeWithTwoVolumes();
    await store.put(`${KEYS_DIR}${file}`, Buffer.from(junk));
    const report = await verify(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unreadable-key', key: `${KEYS_DIR}${file}` })]);
    expect(report.volumes).toBe(2);
  });

  it('a volume held by a delete is named as not checked, not as damage', async () => {
    const store = await storeWithTwoVolumes();
    const held = await StoreLock.acquire(store, 'vol2', 'delete', 'other-host', DEFAULT_LOCK_OPTIONS);
    try {
      const report = await verify(store);
      expect(report.problems).toEqual([]);
      expect(report.damagedBackups).toEqual([]);
      expect(report.notChecked).toEqual([
        expect.objectContaining({ volumeName: 'vol2', key: locksDir('vol2'), message: expect.stringContaining('other-host') }),
      ]);
      expect(report).toMatchObject({ ok: false, volumes: 1 });
    } finally {
      await held.release();
    }
    expect(await verify(store)).toMatchObject({ ok: true, volumes: 2, notChecked: [] });
  });
});
