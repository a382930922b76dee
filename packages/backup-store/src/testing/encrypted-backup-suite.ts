import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupSummary, ObjectStore } from '@convoy/core';
import { directoryOps, expectCode, ImageSource } from '@convoy/core/testing';
import { describe, expect, it, vi } from 'vitest';
import type { UserKey } from '../backup/crypto/user-key.js';
import { createBackupEngine } from '../backup/engine.js';
import type { BackupEngine } from '../backup/types.js';
import { parseBackupUrl } from '../backup/url.js';

/**
 * The encryption tests every store runs (a vfs store in the integration package, S3 against s3rver in objectstore-s3):
 * round trips on a second host, refusals without or with a wrong key, a search of every stored
 * byte for plaintext, tamper detection, key management and verify.
 */
export interface StoreFixture {
  /** A fresh, empty store URL. */
  freshUrl(): Promise<string>;
  /** A client of its own for the URL, as another host would open it. */
  open(url: string): Promise<ObjectStore>;
}

const MiB = 1024 * 1024;
const BLOCK = 2 * MiB;
const MARKER = Buffer.from('CONVOY-PLAINTEXT-MARKER-7f3a9c ');

export const keyFile = (): UserKey => ({ kind: 'key-file', secret: randomBytes(32) });
export const passphrase = (text: string): UserKey => ({ kind: 'passphrase', secret: Buffer.from(text) });

/** A block full of the marker, then a little randomness so equal blocks do not collapse into one. */
function markerBlock(): Buffer {
  const block = Buffer.alloc(BLOCK);
  for (let at = 0; at < BLOCK; at += MARKER.length) MARKER.copy(block, at);
  randomBytes(16).copy(block, 0);
  return block;
}

interface Host {
  engine: BackupEngine;
  store: ObjectStore;
  source: ImageSource;
  dir: string;
  url: string;
}

export function encryptedBackupSuite(storeName: string, fixture: StoreFixture, scratch: string): void {
  const host = async (url: string, key?: UserKey): Promise<Host> => {
    const dir = await mkdtemp(path.join(scratch, 'host-'));
    return {
      engine: createBackupEngine(key ? { encryptionKey: key } : {}),
      store: await fixture.open(url),
      source: await ImageSource.open(path.join(dir, 'images')),
      dir,
      url,
    };
  };

  // The suite looks at block objects one by one: the v0.5 layout (core's packs.test.ts tampers with sealed packs).
  const backup = (h: Host, volume: string, snapshot: string, encrypt = true): Promise<BackupSummary> =>
    h.engine.createBackup({
      store: h.store,
      destUrl: h.url,
      driverName: 'image',
      volume: h.source.volumeRecord(volume),
      snapshot: h.source.snapshotRecord(volume, snapshot),
      ops: h.source,
      owner: 'host-a',
      encrypt,
      layout: 'convoy-v0.5',
    });

  const restore = (h: Host, backupUrl: string, name: string) => {
    const { backupName, volumeName } = parseBackupUrl(backupUrl);
    return h.engine.restoreBackup({
      store: h.store,
      backupName,
      volumeName,
      driverName: 'image',
      ops: h.source,
      request: { name, options: {} },
      owner: 'host-b',
    });
  };

  /** `verify --deep` finds exactly these objects bad, and calls the backup damaged. */
  const expectVerifyNames = async (h: Host, summary: BackupSummary, kind: string, keys: string[]) => {
    const report = await h.engine.verify({ store: h.store, destUrl: h.url, owner: 'verifier', deep: true });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, p.key]).sort()).toEqual(keys.map((k) => [kind, k]).sort());
    expect(report.damagedBackups).toEqual([summary.url]);
  };

  const expectRestored = async (h: Host, name: string, expected: Buffer) => expect((await readFile(h.source.volumePath(name))).equals(expected)).toBe(true);

  /** Nothing of a failed restore is left: no volume, no temp image. */
  const expectNothingRestored = async (h: Host, name: string) => {
    expect(existsSync(h.source.volumePath(name))).toBe(false);
    expect(await readdir(path.join(h.dir, 'images', 'restoring')).catch(() => [])).toEqual([]);
  };

  /** A volume with marker blocks 0-2, a snapshot of it, and its bytes. */
  const markerVolume = async (h: Host, volume: string, snapshot: string): Promise<Buffer> => {
    await h.source.createVolume(volume, 8 * MiB);
    for (const i of [0, 1, 2]) await h.source.writeVolume(volume, i * BLOCK, markerBlock());
    await h.source.snapshot(volume, snapshot);
    return readFile(h.source.snapshotPath(snapshot));
  };

  const allObjects = async (store: ObjectStore): Promise<Map<string, Buffer>> => {
    const out = new Map<string, Buffer>();
    for await (const { key } of store.list('')) out.set(key, (await store.get(key))!);
    return out;
  };

  const blockKeys = async (store: ObjectStore, volume: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const { key } of store.list('convoy-objectstore/volumes/')) if (key.endsWith('.blk') && key.includes(`/${volume}/`)) keys.push(key);
    return keys.sort();
  };

  describe(`encrypted backups on ${storeName}`, () => {
    it('round-trips full and incremental delta-block backups to a second host, and stores no plaintext', async () => {
      const url = await fixture.freshUrl();
      const key = keyFile();
      const a = await host(url, key);
      const first = await markerVolume(a, 'db', 'snap1');
      const full = await backup(a, 'db', 'snap1');
      await a.source.writeVolume('db', 3 * BLOCK, markerBlock());
      await a.source.snapshot('db', 'snap2');
      const second = await readFile(a.source.snapshotPath('snap2'));
      const incremental = await backup(a, 'db', 'snap2');
      expect(incremental.uploadedBytes).toBeLessThan(full.uploadedBytes! / 2);

      const b = await host(url, key);
      await restore(b, full.url, 'full');
      await expectRestored(b, 'full', first);
      await restore(b, incremental.url, 'incr');
      await expectRestored(b, 'incr', second);

      const objects = await allObjects(b.store);
      for (const [objectKey, data] of objects) {
        expect(data.includes(MARKER.subarray(0, 16)), `${objectKey} holds plaintext`).toBe(false);
        expect(objectKey).not.toContain('snap1');
      }
      // Records are sealed: nothing in them parses as Convoy's JSON; volume.cfg says which store key.
      const record = [...objects].find(([k]) => k.endsWith(`backup_${full.name}.cfg`))![1];
      expect(() => JSON.parse(record.toString())).toThrow();
      const volumeCfg = JSON.parse([...objects].find(([k]) => k.endsWith('/db!!/volume.cfg'))![1].toString());
      expect(volumeCfg.EncryptionKeyId).toMatch(/^[0-9a-f]{16}$/);
      expect(full.encryptionKeyId).toBe(volumeCfg.EncryptionKeyId);
      const { backupName, volumeName } = parseBackupUrl(incremental.url);
      expect(await b.engine.inspectBackup({ store: b.store, destUrl: url, backupName, volumeName })).toMatchObject({
        encryptionKeyId: volumeCfg.EncryptionKeyId,
        blockCount: 4,
      });
      expect((await blockKeys(b.store, 'db!!')).length).toBe(4);

      // Prune, forget and delete read the sealed records: nothing referenced is swept, the last delete empties the volume.
      expect(await b.engine.prune({ store: b.store, owner: 'host-b', graceMs: 0 })).toMatchObject({ volumes: 1, blocksRemoved: 0 });
      await restore(b, incremental.url, 'after-prune');
      await expectRestored(b, 'after-prune', second);
      await expectCode(
        (await host(url)).engine.deleteBackup({
          store: b.store,
          destUrl: url,
          backupName: parseBackupUrl(full.url).backupName,
          volumeName: 'db',
          owner: 'keyless',
        }),
        'KEY_REQUIRED',
      );
      // Forget reads the sealed records too: refused without the key; with it, keep-last 1 drops the full backup only.
      await expectCode(
        (await host(url)).engine.forgetBackups({ store: b.store, destUrl: url, volumeName: 'db', policy: { last: 1 }, owner: 'keyless' }),
        'KEY_REQUIRED',
      );
      const forgot = await b.engine.forgetBackups({ store: b.store, destUrl: url, volumeName: 'db', policy: { last: 1 }, owner: 'host-b' });
      expect(forgot.removed.map((s) => s.name)).toEqual([full.name]);
      await restore(b, incremental.url, 'after-forget');
      await expectRestored(b, 'after-forget', second);
      await b.engine.deleteBackup({ store: b.store, destUrl: url, backupName: parseBackupUrl(incremental.url).backupName, volumeName: 'db', owner: 'host-b' });
      expect([...(await allObjects(b.store)).keys()].filter((k) => k.includes('/volumes/'))).toEqual([]);
    });

    it('round-trips an encrypted single-file backup and stores no plaintext', async () => {
      const url = await fixture.freshUrl();
      const key = keyFile();
      const a = await host(url, key);
      const snapshotDir = path.join(a.dir, 'snapshots', 'files-snap');
      await mkdir(path.join(snapshotDir, 'data'), { recursive: true });
      const content = Buffer.concat([markerBlock(), randomBytes(3 * MiB)]);
      await writeFile(path.join(snapshotDir, 'data', 'table.bin'), content);
      const ops = directoryOps(a.dir);
      const volume = { name: 'files', driver: 'dir', size: 0, createdAt: new Date().toISOString(), snapshots: [], driverInfo: {} };
      const summary = await a.engine.createBackup({
        store: a.store,
        destUrl: url,
        driverName: 'dir',
        volume,
        snapshot: { name: 'files-snap', volumeName: 'files', createdAt: new Date().toISOString(), driverInfo: {} },
        ops,
        owner: 'host-a',
        encrypt: true,
        compression: 'none',
      });
      for (const [objectKey, data] of await allObjects(a.store)) expect(data.includes(MARKER.subarray(0, 16)), `${objectKey} holds plaintext`).toBe(false);

      const b = await host(url, key);
      const restoreOps = directoryOps(b.dir);
      const { backupName, volumeName } = parseBackupUrl(summary.url);
      await b.engine.restoreBackup({
        store: b.store,
        backupName,
        volumeName,
        driverName: 'dir',
        ops: restoreOps,
        request: { name: 'back', options: {} },
        owner: 'host-b',
      });
      expect((await readFile(path.join(b.dir, 'volumes', 'back', 'data', 'table.bin'))).equals(content)).toBe(true);

      // A cut archive is found and named; nothing of the restore is left.
      const archive = `convoy-objectstore/volumes/fi/le/files/BackupFiles/${backupName}.bak`;
      const sealed = (await a.store.get(archive))!;
      await a.store.put(archive, sealed.subarray(0, sealed.length - 100));
      await expectCode(
        b.engine.restoreBackup({
          store: b.store,
          backupName,
          volumeName,
          driverName: 'dir',
          ops: restoreOps,
          request: { name: 'cut', options: {} },
          owner: 'host-b',
        }),
        'CORRUPT',
        archive,
      );
      expect(existsSync(path.join(b.dir, 'volumes', 'cut'))).toBe(false);
      const report = await b.engine.verify({ store: b.store, destUrl: url, owner: 'verifier', deep: true });
      expect(report.problems.map((p) => [p.kind, p.key])).toEqual([['corrupt-archive', archive]]);
      expect(report.damagedBackups).toEqual([summary.url]);
      expect(existsSync(path.join(b.dir, 'incoming', 'cut'))).toBe(false);
    });

    it('refuses to restore or back up without the key, or with a wrong one, naming the store key', async () => {
      const url = await fixture.freshUrl();
      const a = await host(url, keyFile());
      await markerVolume(a, 'db', 'snap1');
      const summary = await backup(a, 'db', 'snap1');
      const keyId = JSON.parse((await a.store.get('convoy-objectstore/volumes/db/!!/db!!/volume.cfg'))!.toString()).EncryptionKeyId as string;

      const keyless = await host(url);
      await expectCode(restore(keyless, summary.url, 'no-key'), 'KEY_REQUIRED', keyId, 'no encryption key was given');
      await expectNothingRestored(keyless, 'no-key');
      const wrong = await host(url, keyFile());
      await expectCode(restore(wrong, summary.url, 'wrong-key'), 'KEY_REQUIRED', keyId, 'wrong passphrase or key file');
      await expectNothingRestored(wrong, 'wrong-key');

      // A later backup of the encrypted volume without the key is refused too, naming the key.
      const c = await host(url);
      await markerVolume(c, 'db', 'snap-c');
      await expectCode(backup(c, 'db', 'snap-c', false), 'KEY_REQUIRED', keyId);
    });

    it('detects a flipped, swapped or truncated block and a flipped record, naming the object; nothing is half-restored', async () => {
      const url = await fixture.freshUrl();
      const key = keyFile();
      const a = await host(url, key);
      const bytes = await markerVolume(a, 'db', 'snap1');
      const summary = await backup(a, 'db', 'snap1');
      const b = await host(url, key);
      // Only blocks a restore reads: a sparse restore knows the zero block by its keyed name and
      // never fetches it, so damage to that one harms no restore.
      const reads = vi.spyOn(b.store, 'get');
      await restore(b, summary.url, 'probe');
      const read = new Set(reads.mock.calls.map(([k]) => k));
      reads.mockRestore();
      const blocks = (await blockKeys(a.store, 'db!!')).filter((k) => read.has(k));
      expect(blocks).toHaveLength(3);
      const originals = new Map(await Promise.all(blocks.map(async (k) => [k, (await a.store.get(k))!] as const)));
      const reset = async () => {
        for (const [k, v] of originals) await a.store.put(k, v);
      };

      const flipped = Buffer.from(originals.get(blocks[0]!)!);
      flipped[flipped.length >> 1]! ^= 1;
      await a.store.put(blocks[0]!, flipped);
      await expectCode(restore(b, summary.url, 'flip'), 'CORRUPT', blocks[0]!);
      await expectNothingRestored(b, 'flip');
      await expectVerifyNames(b, summary, 'corrupt-block', [blocks[0]!]);
      await reset();

      await a.store.put(blocks[0]!, originals.get(blocks[1]!)!);
      await a.store.put(blocks[1]!, originals.get(blocks[0]!)!);
      const swapped = await expectCode(restore(b, summary.url, 'swap'), 'CORRUPT');
      expect(swapped.message.includes(blocks[0]!) || swapped.message.includes(blocks[1]!)).toBe(true);
      await expectNothingRestored(b, 'swap');
      await expectVerifyNames(b, summary, 'corrupt-block', [blocks[0]!, blocks[1]!]);
      await reset();

      // Half of it: zstd makes a marker block a few hundred bytes, so no fixed length would do.
      const whole = originals.get(blocks[2]!)!;
      await a.store.put(blocks[2]!, whole.subarray(0, whole.length >> 1));
      await expectCode(restore(b, summary.url, 'cut'), 'CORRUPT', blocks[2]!);
      await expectNothingRestored(b, 'cut');
      await expectVerifyNames(b, summary, 'corrupt-block', [blocks[2]!]);
      await reset();

      const recordKey = `convoy-objectstore/volumes/db/!!/db!!/backups/backup_${summary.name}.cfg`;
      const record = (await a.store.get(recordKey))!;
      const bad = Buffer.from(record);
      bad[bad.length - 1]! ^= 0x80;
      await a.store.put(recordKey, bad);
      // A host that never read the record: a daemon serves records it has already authenticated
      // from its cache (they are write-once), so b would restore the genuine one.
      const c = await host(url, key);
      await expectCode(restore(c, summary.url, 'rec'), 'CORRUPT', recordKey);
      await expectNothingRestored(c, 'rec');
      await expectVerifyNames(c, summary, 'unreadable-record', [recordKey]);
      await a.store.put(recordKey, record);

      expect(await b.engine.verify({ store: b.store, destUrl: url, owner: 'verifier', deep: true })).toMatchObject({ ok: true, blocksRead: 3, problems: [] });
      const keyless = await host(url);
      const blind = await keyless.engine.verify({ store: keyless.store, destUrl: url, owner: 'verifier' });
      expect(blind.problems).toEqual([expect.objectContaining({ kind: 'key-required', volumeName: 'db' })]);

      await restore(b, summary.url, 'healthy');
      await expectRestored(b, 'healthy', bytes);
    });

    it('manages keys without re-encrypting: a second key restores, the first is removed, the last cannot be', async () => {
      const url = await fixture.freshUrl();
      const first = keyFile();
      const second = passphrase('correct horse battery staple');
      const a = await host(url, first);
      const bytes = await markerVolume(a, 'db', 'snap1');
      const summary = await backup(a, 'db', 'snap1');
      const dataBefore = await blockKeys(a.store, 'db!!');

      const added = await a.engine.addKey({ store: a.store, newKey: second, label: 'ops laptop' });
      expect(added).toMatchObject({ kind: 'passphrase', label: 'ops laptop' });
      const keys = await a.engine.listKeys({ store: a.store });
      expect(keys.map((k) => k.id).sort()).toEqual([added.id, keys.find((k) => k.id !== added.id)!.id].sort());
      expect(new Set(keys.map((k) => k.masterKeyId)).size).toBe(1);

      const b = await host(url, second);
      await restore(b, summary.url, 'with-second');
      await expectRestored(b, 'with-second', bytes);

      const firstId = keys.find((k) => k.kind === 'key-file')!.id;
      await b.engine.removeKey({ store: b.store, keyId: firstId });
      expect((await b.engine.listKeys({ store: b.store })).map((k) => k.id)).toEqual([added.id]);
      const c = await host(url, second);
      await restore(c, summary.url, 'after-removal');
      await expectRestored(c, 'after-removal', bytes);
      await expectCode(restore(await host(url, first), summary.url, 'old-key'), 'KEY_REQUIRED');

      await expectCode(c.engine.removeKey({ store: c.store, keyId: added.id }), 'INVALID_ARGUMENT', 'last key');
      expect(await c.engine.listKeys({ store: c.store })).toHaveLength(1);
      expect(await blockKeys(c.store, 'db!!')).toEqual(dataBefore);
    });

    it('encrypts every new volume of a store initialised with --encrypt, and keeps clear volumes clear', async () => {
      const url = await fixture.freshUrl();
      const key = keyFile();
      const a = await host(url, key);
      await markerVolume(a, 'plain', 'snap-plain');
      const clear = await backup(a, 'plain', 'snap-plain', false);
      // A volume in the clear stays in the clear: Convoy's JSON record, readable by Convoy v0.5.
      const clearRecord = JSON.parse((await a.store.get(`convoy-objectstore/volumes/pl/ai/plain/backups/backup_${clear.name}.cfg`))!.toString());
      expect(clearRecord.Name).toBe(clear.name);
      expect(clear.encryptionKeyId).toBeUndefined();
      await expectCode(backup(a, 'plain', 'snap-plain'), 'INVALID_ARGUMENT', 'already has unencrypted backups');

      const { masterKeyId } = await a.engine.initStore({ store: a.store });
      await markerVolume(a, 'later', 'snap-later');
      await backup(a, 'later', 'snap-later', false);
      const cfg = JSON.parse((await a.store.get('convoy-objectstore/volumes/la/te/later/volume.cfg'))!.toString());
      expect(cfg.EncryptionKeyId).toBe(masterKeyId);

      // Listing the store shows both; the clear volume restores on a host without any key.
      const listed = await a.engine.listBackups({ store: a.store, destUrl: url });
      expect(listed.map((s) => s.volumeName)).toEqual(['later', 'plain']);
      const keyless = await host(url);
      await restore(keyless, clear.url, 'plain-back');
      // Without the key a whole-store prune sweeps the clear volume and names the encrypted one it skipped.
      expect(await keyless.engine.prune({ store: keyless.store, owner: 'keyless', graceMs: 0 })).toMatchObject({ volumes: 1, skippedVolumes: ['later'] });
      await expectCode(keyless.engine.listBackups({ store: keyless.store, destUrl: url }), 'KEY_REQUIRED', 'later');
      await expectRestored(keyless, 'plain-back', await readFile(a.source.snapshotPath('snap-plain')));
    });
  });
}
