// `backup copy` in the engine (issue 21 item 2): every layout pair, encryption re-sealed, the
// transfer goal on bytes, interruption then resume, and refusals that write nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompressionMethod, ObjectStore, StoreLayout } from '@convoy/core';
import { ConvoyError, forwardStore } from '@convoy/core';
import { expectCode, ImageSource, MemoryObjectStore, tempDir } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import type { CopyReport } from './copy.js';
import { Keyring } from './crypto/keyring.js';
import type { UserKey } from './crypto/user-key.js';
import { accessVolume } from './crypto/volume-access.js';
import { createBackupEngine } from './engine.js';
import { BLOCK_SIZE, blocksDir, packsDir, volumeConfigKey } from './layout.js';
import { DEFAULT_LOCK_OPTIONS, StoreLock } from './store-lock.js';
import { loadBackupConfig, saveBackupConfig } from './store-records.js';
import { parseBackupUrl } from './url.js';

const MiB = 1024 * 1024;
const key: UserKey = { kind: 'passphrase', secret: Buffer.from('copy test passphrase, never shown') };
const engine = createBackupEngine({ packs: { size: 4 * MiB } });
const scratch = await tempDir('convoy-copy-');

/** A store of its own per test: the engine remembers which store URLs it saw encrypted. */
function store(site: string): MemoryObjectStore {
  return new MemoryObjectStore(`mem://${site}-${randomBytes(4).toString('hex')}`);
}

/** An image source with vol1 of `blocks` random blocks, snapshotted as snap1, and two empty stores. */
async function twoStores(blocks: number) {
  const source = await imageSource();
  await randomVolume(source, 'vol1', blocks);
  await source.snapshot('vol1', 'snap1');
  return { source, a: store('a'), b: store('b') };
}

async function imageSource(): Promise<ImageSource> {
  return ImageSource.open(path.join(await mkdtemp(path.join(scratch, 'env-')), 'images'));
}

/** A volume of `blocks` random 2 MiB blocks (incompressible: stored bytes ≈ volume bytes). */
async function randomVolume(source: ImageSource, volume: string, blocks: number): Promise<void> {
  await source.createVolume(volume, blocks * BLOCK_SIZE);
  for (let i = 0; i < blocks; i += 1) await source.writeVolume(volume, i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
}

function backup(
  store: ObjectStore,
  source: ImageSource,
  volume: string,
  snapshot: string,
  extra: { layout?: StoreLayout; encrypt?: boolean; encryptionKey?: UserKey; compression?: CompressionMethod; blockSize?: number } = {},
) {
  return engine.createBackup({
    store,
    destUrl: store.url,
    driverName: 'image',
    volume: source.volumeRecord(volume),
    snapshot: source.snapshotRecord(volume, snapshot),
    ops: source,
    owner: 'host-a/1',
    ...extra,
  });
}

async function expectRestoresAs(
  store: ObjectStore,
  source: ImageSource,
  url: string,
  snapshot: string,
  extra: { encryptionKey?: UserKey } = {},
): Promise<void> {
  const { backupName, volumeName } = parseBackupUrl(url);
  const restored = `restored-${randomBytes(4).toString('hex')}`;
  await engine.restoreBackup({
    store,
    backupName,
    volumeName,
    driverName: 'image',
    ops: source,
    request: { name: restored, options: {} },
    owner: 'host-b/1',
    ...extra,
  });
  const [a, b] = await Promise.all([readFile(source.volumePath(restored)), readFile(source.snapshotPath(snapshot))]);
  expect(a.equals(b)).toBe(true);
}

/** What `backup list` shows of each backup that must agree between the stores. */
async function identities(store: ObjectStore, extra: { encryptionKey?: UserKey } = {}) {
  const list = await engine.listBackups({ store, destUrl: 'x://', ...extra });
  return list.map((b) => ({
    name: b.name,
    volume: b.volumeName,
    createdAt: b.createdAt,
    snapshot: b.snapshotName,
    snapshotCreatedAt: b.snapshotCreatedAt,
    size: b.volumeSize,
  }));
}

async function expectVerifiesClean(store: ObjectStore, extra: { encryptionKey?: UserKey } = {}): Promise<void> {
  const report = await engine.verify({ store, destUrl: store.url, owner: 'host-b/1', deep: true, ...extra });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Bytes read from and written to a store, as the copy moves them. */
function counting(inner: ObjectStore) {
  const moved = { read: 0, written: 0 };
  const store = forwardStore(inner, {
    get: async (k) => {
      const data = await inner.get(k);
      moved.read += data?.length ?? 0;
      return data;
    },
    getRange: async (k, offset, length, into) => {
      const data = await inner.getRange(k, offset, length, into);
      moved.read += data?.length ?? 0;
      return data;
    },
    put: async (k, body, opts) => {
      if (Buffer.isBuffer(body)) moved.written += body.length;
      return inner.put(k, body, opts);
    },
  });
  return { store, moved };
}

describe('backup copy between layouts', () => {
  const pairs: Array<[StoreLayout, StoreLayout]> = [
    ['packs', 'convoy-v0.5'],
    ['convoy-v0.5', 'packs'],
    ['packs', 'packs'],
    ['convoy-v0.5', 'convoy-v0.5'],
  ];
  it.each(pairs)('%s → %s: every backup restores bit-exact from the target, with the same names and times, and verifies clean', async (from, to) => {
    const { source, a, b } = await twoStores(5);
    const first = await backup(a, source, 'vol1', 'snap1', { layout: from });
    await source.writeVolume('vol1', 2 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    const second = await backup(a, source, 'vol1', 'snap2');

    const report = await engine.copyBackups({ from: a, to: b, volumeName: 'vol1', layout: to, owner: 'host-b/1' });
    expect(report.copied.map((c) => c.backupName)).toEqual([first.name, second.name]);
    expect(report.blocksCopied).toBe(6);
    expect(await identities(b)).toEqual(await identities(a));
    expect(b.keysUnder(to === 'packs' ? packsDir('vol1') : blocksDir('vol1')).length).toBeGreaterThan(0);
    await expectRestoresAs(b, source, `${b.url}?backup=${first.name}&volume=vol1`, 'snap1');
    await expectRestoresAs(b, source, `${b.url}?backup=${second.name}&volume=vol1`, 'snap2');
    await expectVerifiesClean(b);

    // Run again: nothing is missing, nothing is moved.
    const again = await engine.copyBackups({ from: a, to: b, volumeName: 'vol1', owner: 'host-b/1' });
    expect(again).toMatchObject({ copied: [], skipped: 2, blocksCopied: 0, bytesCopied: 0 });
  });

  it('copies one named backup, and then the rest without sending its blocks again', async () => {
    const { source, a, b } = await twoStores(4);
    const first = await backup(a, source, 'vol1', 'snap1');
    await source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    await backup(a, source, 'vol1', 'snap2');
    const one = await engine.copyBackups({ from: a, to: b, volumeName: 'vol1', backupName: first.name, owner: 'h/1' });
    expect(one.copied).toEqual([{ volumeName: 'vol1', backupName: first.name }]);
    const progress: Array<{ doneBytes: number; totalBytes: number }> = [];
    const rest = await engine.copyBackups({ from: a, to: b, owner: 'h/1', onProgress: (p) => progress.push(p) });
    expect(rest).toMatchObject({ skipped: 1, blocksCopied: 1, blocksReused: 3 });
    // Blocks the target held count as done: the bar ends full, at the backup's mapped bytes.
    // A whole-store copy gives each volume its own phase (its own bar line and summary).
    expect(progress.at(-1)).toMatchObject({ phase: 'copy vol1', doneBytes: 4 * BLOCK_SIZE, totalBytes: 4 * BLOCK_SIZE });
  });
});

describe('a v0.5 target keeps its compression', () => {
  it('copies zstd backups into a v0.5 volume whose backups are gzip (its records state one compression for every block), and they restore', async () => {
    const { source, a, b } = await twoStores(3);
    await backup(b, source, 'vol1', 'snap1', { layout: 'convoy-v0.5', compression: 'gzip' });
    await source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    const second = await backup(a, source, 'vol1', 'snap2');
    expect(second.compression).toBe('zstd');
    const report = await engine.copyBackups({ from: a, to: b, owner: 'h/1' });
    expect(report).toMatchObject({ blocksCopied: 1, blocksReused: 2 });
    const copied = await engine.inspectBackup({ store: b, destUrl: b.url, backupName: second.name, volumeName: 'vol1' });
    expect(copied.compression).toBe('gzip');
    await expectRestoresAs(b, source, copied.url, 'snap2');
    await expectVerifiesClean(b);
  });
});

describe('the transfer goal (issue 21): a copy moves ≤ 1.05 × the bytes new to the target', () => {
  it.each([['packs'], ['convoy-v0.5']] as Array<[StoreLayout]>)('%s: full copy to an empty store, then one incremental', async (layout) => {
    const source = await imageSource();
    const a = store('a');
    const b = store('b');
    const counted = { from: counting(a), to: counting(b) };
    await randomVolume(source, 'vol1', 12);
    await source.snapshot('vol1', 'snap1');
    await backup(a, source, 'vol1', 'snap1', { layout });
    const newBytes = 12 * BLOCK_SIZE;
    await engine.copyBackups({ from: counted.from.store, to: counted.to.store, owner: 'h/1', layout });
    expect(counted.to.moved.written).toBeLessThanOrEqual(1.05 * newBytes);
    expect(counted.from.moved.read).toBeLessThanOrEqual(1.05 * newBytes);

    // One incremental: one block of twelve changed.
    await source.writeVolume('vol1', 5 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    await backup(a, source, 'vol1', 'snap2');
    counted.from.moved.read = 0;
    counted.to.moved.written = 0;
    const report = await engine.copyBackups({ from: counted.from.store, to: counted.to.store, owner: 'h/1' });
    expect(report).toMatchObject({ blocksCopied: 1, blocksReused: 11 });
    expect(counted.to.moved.written).toBeLessThanOrEqual(1.05 * BLOCK_SIZE);
    expect(counted.from.moved.read).toBeLessThanOrEqual(1.05 * BLOCK_SIZE);
  });
});

describe('encrypted volumes', () => {
  const sealed = createBackupEngine({ packs: { size: 4 * MiB }, encryptionKey: key });
  const targetKey: UserKey = { kind: 'passphrase', secret: Buffer.from('the second site has its own key') };

  it('re-seals for the target store with its own key, incremental without re-fetching, and no key material in the report', async () => {
    const { source, a, b } = await twoStores(4);
    await backup(a, source, 'vol1', 'snap1', { encrypt: true, encryptionKey: key });
    const report = await sealed.copyBackups({ from: a, to: b, owner: 'h/1', targetEncryptionKey: targetKey });
    expect(report.copied).toHaveLength(1);
    const text = JSON.stringify(report);
    expect(text).not.toContain(key.secret.toString('hex'));
    expect(text).not.toContain(key.secret.toString('base64'));
    expect(text).not.toContain('passphrase');

    const [aKey, bKey] = await Promise.all([sealed.listKeys({ store: a }), sealed.listKeys({ store: b })]);
    expect(bKey).toHaveLength(1);
    expect(bKey[0]!.masterKeyId).not.toBe(aKey[0]!.masterKeyId);
    expect(JSON.parse((await b.get(volumeConfigKey('vol1')))!.toString()).EncryptionKeyId).toBe(bKey[0]!.masterKeyId);
    // The source's key does not open the copy; the target's does.
    await expectCode(sealed.listBackups({ store: b, destUrl: b.url, volumeName: 'vol1' }), 'KEY_REQUIRED');
    expect(await identities(b, { encryptionKey: targetKey })).toEqual(await identities(a, { encryptionKey: key }));
    const [only] = await sealed.listBackups({ store: b, destUrl: b.url, encryptionKey: targetKey });
    await expectRestoresAs(b, source, only!.url, 'snap1', { encryptionKey: targetKey });
    await expectVerifiesClean(b, { encryptionKey: targetKey });

    await source.writeVolume('vol1', BLOCK_SIZE, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    await backup(a, source, 'vol1', 'snap2', { encryptionKey: key });
    const again = await sealed.copyBackups({ from: a, to: b, owner: 'h/1', targetEncryptionKey: targetKey });
    expect(again).toMatchObject({ blocksCopied: 1, blocksReused: 3 });
    await expectVerifiesClean(b, { encryptionKey: targetKey });
  });

  it('learns block names only from a true copy: a target record of the same name but another snapshot teaches nothing', async () => {
    const { source, a, b } = await twoStores(3);
    const first = await backup(a, source, 'vol1', 'snap1', { encrypt: true, encryptionKey: key });
    await sealed.copyBackups({ from: a, to: b, owner: 'h/1', targetEncryptionKey: targetKey });
    // The target's record of that name now claims another snapshot, with its blocks at other offsets.
    const { store: view } = await accessVolume(b, 'vol1', new Keyring(targetKey));
    const record = (await loadBackupConfig(view, 'vol1', first.name))!;
    const names = record.Blocks.map((m) => m.BlockChecksum).reverse();
    await saveBackupConfig(view, { ...record, SnapshotName: 'another', Blocks: record.Blocks.map((m, i) => ({ ...m, BlockChecksum: names[i]! })) });

    await source.writeVolume('vol1', 0, randomBytes(BLOCK_SIZE));
    await source.snapshot('vol1', 'snap2');
    const second = await backup(a, source, 'vol1', 'snap2', { encryptionKey: key });
    const report = await sealed.copyBackups({ from: a, to: b, owner: 'h/1', targetEncryptionKey: targetKey });
    expect(report.copied).toEqual([{ volumeName: 'vol1', backupName: second.name }]);
    await expectRestoresAs(b, source, `${b.url}?backup=${second.name}&volume=vol1`, 'snap2', { encryptionKey: targetKey });
  });

  it('refuses an encrypted source into a target holding the volume in the clear, and writes nothing', async () => {
    const { source, a, b } = await twoStores(2);
    await backup(a, source, 'vol1', 'snap1', { encrypt: true, encryptionKey: key });
    await backup(b, source, 'vol1', 'snap1');
    const before = b.keysUnder('');
    await expectCode(sealed.copyBackups({ from: a, to: b, owner: 'h/1' }), 'INVALID_ARGUMENT', 'vol1', 'unencrypted', 'clear');
    expect(b.keysUnder('')).toEqual(before);
  });

  it('refuses a clear source into a target holding the volume encrypted unless asked (--encrypt)', async () => {
    const { source, a, b } = await twoStores(2);
    await backup(a, source, 'vol1', 'snap1');
    await source.snapshot('vol1', 'snap2');
    await backup(b, source, 'vol1', 'snap2', { encrypt: true, encryptionKey: key });
    const before = b.keysUnder('');
    await expectCode(sealed.copyBackups({ from: a, to: b, owner: 'h/1' }), 'INVALID_ARGUMENT', 'vol1', '--encrypt');
    expect(b.keysUnder('')).toEqual(before);
    const asked = await sealed.copyBackups({ from: a, to: b, owner: 'h/1', encrypt: true });
    expect(asked.copied).toHaveLength(1);
    await expectVerifiesClean(b, { encryptionKey: key });
  });
});

describe('interrupted, then resumed', () => {
  it.each([['packs'], ['convoy-v0.5']] as Array<[StoreLayout]>)(
    '%s target: a failing PUT leaves no record without its data; the re-run completes and verifies clean',
    async (layout) => {
      const { source, a, b } = await twoStores(6);
      const first = await backup(a, source, 'vol1', 'snap1');
      await source.writeVolume('vol1', 0, randomBytes(2 * BLOCK_SIZE));
      await source.snapshot('vol1', 'snap2');
      const second = await backup(a, source, 'vol1', 'snap2');

      // The first backup (six blocks: six objects, or three 4 MiB packs) is cut short by a failing data PUT.
      const allowed = layout === 'packs' ? 1 : 5;
      let dataPuts = 0;
      const failing = forwardStore(b, {
        put: async (k, body, opts) => {
          if ((k.includes('/blocks/') || k.includes('/packs/')) && ++dataPuts > allowed) throw new Error('injected: the store went away');
          return b.put(k, body, opts);
        },
      });
      await expect(engine.copyBackups({ from: a, to: failing, owner: 'h/1', layout })).rejects.toThrow('injected');
      const partial = await engine.listBackups({ store: b, destUrl: b.url });
      for (const listed of partial) expect(listed.name).toBe(first.name);
      await expectVerifiesClean(b);

      const resumed = await engine.copyBackups({ from: a, to: b, owner: 'h/1' });
      expect(resumed.copied.map((c) => c.backupName)).toEqual(partial.length === 1 ? [second.name] : [first.name, second.name]);
      await expectVerifiesClean(b);
      await expectRestoresAs(b, source, `${b.url}?backup=${second.name}&volume=vol1`, 'snap2');
      expect(await identities(b)).toEqual(await identities(a));
    },
  );

  it('a cancelled copy stops and records nothing it has not finished', async () => {
    const { source, a, b } = await twoStores(4);
    await backup(a, source, 'vol1', 'snap1');
    const controller = new AbortController();
    const cancelling = forwardStore(b, {
      put: async (k, body, opts) => {
        if (k.includes('/packs/')) controller.abort(new Error('Ctrl-C'));
        return b.put(k, body, opts);
      },
    });
    await expect(engine.copyBackups({ from: a, to: cancelling, owner: 'h/1', signal: controller.signal })).rejects.toThrow();
    expect(await engine.listBackups({ store: b, destUrl: b.url })).toEqual([]);
  });
});

describe('bad input is refused by name, with nothing written', () => {
  it('the same store twice, a volume or backup the source lacks, a backup without its volume, a bad name', async () => {
    const { source, a, b } = await twoStores(1);
    await backup(a, source, 'vol1', 'snap1');
    await expectCode(engine.copyBackups({ from: a, to: new MemoryObjectStore(a.url), owner: 'h/1' }), 'INVALID_ARGUMENT', 'same store', a.url);
    // The same objects under another URL (a symlinked directory, a second endpoint): found by a probe, which goes again.
    const alias = Object.create(forwardStore(a, {}), { url: { value: 'mem://alias-of-a' } }) as ObjectStore;
    await expectCode(engine.copyBackups({ from: alias, to: a, owner: 'h/1' }), 'INVALID_ARGUMENT', 'same store', 'mem://alias-of-a');
    expect(a.keysUnder('convoy-objectstore/copy-probe')).toEqual([]);
    await expectCode(engine.copyBackups({ from: a, to: b, volumeName: 'nope', owner: 'h/1' }), 'NOT_FOUND', 'nope');
    await expectCode(
      engine.copyBackups({ from: a, to: b, volumeName: 'vol1', backupName: 'backup-0000000000000000', owner: 'h/1' }),
      'NOT_FOUND',
      'backup-0000000000000000',
    );
    await expectCode(engine.copyBackups({ from: a, to: b, backupName: 'backup-0000000000000000', owner: 'h/1' }), 'INVALID_ARGUMENT', 'volume');
    await expectCode(engine.copyBackups({ from: a, to: b, volumeName: '../etc', owner: 'h/1' }), 'INVALID_ARGUMENT', '../etc');
    expect(b.keysUnder('')).toEqual([]);
  });

  it('a target holding the volume in another block size: refused before any data moves', async () => {
    const { source, a, b } = await twoStores(2);
    await backup(a, source, 'vol1', 'snap1', { blockSize: 64 * 1024 });
    await backup(b, source, 'vol1', 'snap1');
    const before = b.keysUnder('');
    await expectCode(engine.copyBackups({ from: a, to: b, owner: 'h/1' }), 'INVALID_ARGUMENT', 'vol1', '2097152-byte blocks', '65536-byte blocks');
    expect(b.keysUnder('')).toEqual(before);
  });
});

describe('a whole-store copy goes past a volume it cannot copy (issue 22)', () => {
  /** Store a with vol1, vol2 and vol3, one backup each (two 2 MiB blocks, packs), and an empty store b. */
  async function threeVolumes() {
    const source = await imageSource();
    const a = store('a');
    const b = store('b');
    const names: Record<string, string> = {};
    for (const volume of ['vol1', 'vol2', 'vol3']) {
      await randomVolume(source, volume, 2);
      await source.snapshot(volume, `${volume}-s1`);
      names[volume] = (await backup(a, source, volume, `${volume}-s1`)).name;
    }
    return { source, a, b, names };
  }

  const breakages: Array<[string, string, (a: MemoryObjectStore) => Promise<() => Promise<void>>]> = [
    [
      'a corrupt volume.cfg',
      'CORRUPT',
      async (a) => {
        const original = (await a.get(volumeConfigKey('vol2')))!;
        await a.put(volumeConfigKey('vol2'), Buffer.from('{"Name": "vol2", cut sho'));
        return () => a.put(volumeConfigKey('vol2'), original);
      },
    ],
    [
      'a missing pack',
      'NOT_FOUND',
      async (a) => {
        const [pack] = a.keysUnder(packsDir('vol2'));
        const original = (await a.get(pack!))!;
        await a.delete([pack!]);
        return () => a.put(pack!, original);
      },
    ],
  ];

  it.each(breakages)(
    'with %s in the middle volume: the others are copied and verify clean, the copy fails naming it, a re-run after repair copies only it',
    async (_, code, breakVol2) => {
      const { source, a, b, names } = await threeVolumes();
      const repair = await breakVol2(a);

      const failure = (await expectCode(engine.copyBackups({ from: a, to: b, owner: 'h/1' }), code as 'CORRUPT', '1 of 3 volume(s)', 'vol2')) as ConvoyError;
      expect(failure.message).not.toMatch(/vol1|vol3/);
      const details = failure.details as { failed: Array<{ volumeName: string; code: string }>; report: CopyReport };
      expect(details.failed).toEqual([expect.objectContaining({ volumeName: 'vol2', code })]);
      expect(details.report.copied).toEqual([
        { volumeName: 'vol1', backupName: names.vol1 },
        { volumeName: 'vol3', backupName: names.vol3 },
      ]);
      expect(details.report.volumes.map((v) => [v.volumeName, v.copied, v.error?.code])).toEqual([
        ['vol1', 1, undefined],
        ['vol2', 0, code],
        ['vol3', 1, undefined],
      ]);
      expect((await engine.listBackups({ store: b, destUrl: b.url })).map((l) => l.volumeName).sort()).toEqual(['vol1', 'vol3']);
      await expectVerifiesClean(b);
      await expectRestoresAs(b, source, `${b.url}?backup=${names.vol3}&volume=vol3`, 'vol3-s1');

      await repair();
      const rerun = await engine.copyBackups({ from: a, to: b, owner: 'h/1' });
      expect(rerun.copied).toEqual([{ volumeName: 'vol2', backupName: names.vol2 }]);
      expect(rerun.skipped).toBe(2);
      expect(rerun.volumes.every((v) => v.error === undefined)).toBe(true);
      await expectVerifiesClean(b);
      await expectRestoresAs(b, source, `${b.url}?backup=${names.vol2}&volume=vol2`, 'vol2-s1');
    },
  );

  it('an encrypted volume whose key the daemon lacks and one another process holds locked are each named; the rest are copied', async () => {
    const { source, a, b, names } = await threeVolumes();
    await randomVolume(source, 'sealed', 1);
    await source.snapshot('sealed', 'sealed-s1');
    await backup(a, source, 'sealed', 'sealed-s1', { encrypt: true, encryptionKey: key });
    const held = await StoreLock.acquire(b, 'vol3', 'delete', 'other-host/9', DEFAULT_LOCK_OPTIONS);
    try {
      const failure = (await expectCode(
        engine.copyBackups({ from: a, to: b, owner: 'h/1' }),
        'KEY_REQUIRED',
        '2 of 4 volume(s)',
        'sealed',
        'vol3',
      )) as ConvoyError;
      const details = failure.details as { failed: Array<{ volumeName: string; code: string }> };
      expect(details.failed.map((f) => [f.volumeName, f.code])).toEqual([
        ['sealed', 'KEY_REQUIRED'],
        ['vol3', 'LOCKED'],
      ]);
    } finally {
      await held.release();
    }
    expect((await engine.listBackups({ store: b, destUrl: b.url })).map((l) => l.name).sort()).toEqual([names.vol1, names.vol2].sort());
  });

  it('one volume asked for fails as before: its own error, nothing about other volumes', async () => {
    const { a, b } = await threeVolumes();
    await a.put(volumeConfigKey('vol2'), Buffer.from('not json'));
    const failure = (await expectCode(engine.copyBackups({ from: a, to: b, volumeName: 'vol2', owner: 'h/1' }), 'CORRUPT', 'volume.cfg')) as ConvoyError;
    expect(failure.message).not.toContain('volume(s)');
  });

  it('a cancel in the middle volume stops everything: the third is not copied', async () => {
    const { a, b } = await threeVolumes();
    const controller = new AbortController();
    const cancelling = forwardStore(b, {
      put: async (k, body, opts) => {
        if (k.includes('/packs/') && k.includes('vol2')) controller.abort(new ConvoyError('CANCELLED', 'the client went away'));
        return b.put(k, body, opts);
      },
    });
    await expectCode(engine.copyBackups({ from: a, to: cancelling, owner: 'h/1', signal: controller.signal }), 'CANCELLED');
    expect((await engine.listBackups({ store: b, destUrl: b.url })).map((l) => l.volumeName)).toEqual(['vol1']);
  });

  it('the target failing a write stops everything: the third is not copied, and the error is the store’s', async () => {
    const { a, b } = await threeVolumes();
    const failing = forwardStore(b, {
      put: async (k, body, opts) => {
        if (k.includes('/packs/') && k.includes('vol2')) throw new ConvoyError('STORE_ERROR', `cannot put ${k}: injected, the disk is full`);
        return b.put(k, body, opts);
      },
    });
    const failure = await expectCode(engine.copyBackups({ from: a, to: failing, owner: 'h/1' }), 'STORE_ERROR', 'the disk is full');
    expect(failure.message).not.toContain('volume(s)');
    expect((await engine.listBackups({ store: b, destUrl: b.url })).map((l) => l.volumeName)).toEqual(['vol1']);
  });

  it('a stop after a volume already failed keeps the stopping error and still names the failed volume', async () => {
    const { a, b } = await threeVolumes();
    await a.put(volumeConfigKey('vol1'), Buffer.from('not json'));
    const failing = forwardStore(b, {
      put: async (k, body, opts) => {
        if (k.includes('/packs/') && k.includes('vol2')) throw new ConvoyError('STORE_ERROR', `cannot put ${k}: injected, the disk is full`);
        return b.put(k, body, opts);
      },
    });
    const failure = (await expectCode(engine.copyBackups({ from: a, to: failing, owner: 'h/1' }), 'STORE_ERROR', 'the disk is full', 'vol1')) as ConvoyError;
    expect((failure.details as { failed: Array<{ volumeName: string; code: string }> }).failed).toEqual([
      expect.objectContaining({ volumeName: 'vol1', code: 'CORRUPT' }),
    ]);
    expect(await engine.listBackups({ store: b, destUrl: b.url })).toEqual([]);
  });
});
