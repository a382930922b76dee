import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTarSafely } from '../archive/extract-tar.js';
import type { DeltaBlockBackupOps, Options, SingleFileBackupOps, SnapshotOps, VolumeDriver } from '../driver.js';
import { ConvoyError } from '../errors.js';
import { expectCode } from './expect-code.js';

/** What a driver package hands the suite. */
export interface DriverUnderTest {
  driver: VolumeDriver;
  /** Removes everything `setup` made (pools, directories, devices). */
  cleanup(): Promise<void>;
  /** Reads a file inside a snapshot, for drivers that have snapshots but no backup facet. */
  readSnapshotFile?(volumeName: string, snapshotName: string, relativePath: string): Promise<Buffer>;
}

/** What the driver promises; the suite checks the driver keeps each promise. */
export interface DriverCapabilities {
  snapshots: boolean;
  backup: 'single-file' | 'delta-block' | 'none';
  /** `mountVolume(name, { mountpoint })` mounts there; when false it must be INVALID_ARGUMENT. */
  userMountpoint: boolean;
  /** After `deleteVolume({ referenceOnly: true })`, does creating the name again show the old files? */
  referenceOnly: 'keeps-data' | 'deletes-data';
  /** Bytes for test volumes (block drivers need a size); the driver default when absent. */
  volumeSize?: number;
  /** Options for every `createVolume` the suite makes. */
  createOptions?: Options;
}

export interface DriverComplianceOptions {
  /** Shown in the test titles. */
  name: string;
  capabilities: DriverCapabilities;
  /** Called once for the whole suite. */
  setup(): Promise<DriverUnderTest>;
}

/** Bytes per marker: one 4 KiB filesystem block, found whole in a raw device image. */
const MARKER_BYTES = 4096;

/**
 * The contract every Convoy driver keeps, as vitest tests. A driver package calls this from
 * one of its test files:
 *
 * ```ts
 * driverComplianceSuite({ name: 'vfs', capabilities: { ... }, setup: async () => ({ driver, cleanup }) });
 * ```
 *
 * Volumes are checked through files written at the mountpoint, so the same tests hold for
 * directory volumes and for block devices carrying a filesystem. Snapshot immutability is read
 * back through the backup facet (an exported archive, or raw snapshot blocks) or through the
 * setup's `readSnapshotFile`.
 */
export function driverComplianceSuite(opts: DriverComplianceOptions): void {
  const caps = opts.capabilities;
  let sut: DriverUnderTest;
  let scratch: string;
  const made = new Set<string>();

  const driver = (): VolumeDriver => sut.driver;
  const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

  const createVolume = async (name = uniqueName('vol')): Promise<string> => {
    made.add(name);
    await driver().createVolume({ name, options: { ...caps.createOptions }, ...(caps.volumeSize === undefined ? {} : { size: caps.volumeSize }) });
    return name;
  };

  const withMounted = async <T>(name: string, use: (mountpoint: string) => Promise<T>): Promise<T> => {
    const mountpoint = await driver().mountVolume(name, {});
    try {
      return await use(mountpoint);
    } finally {
      await driver().umountVolume(name);
    }
  };

  const writeAt = (name: string, rel: string, data: Buffer | string): Promise<void> =>
    withMounted(name, async (mp) => {
      await mkdir(path.dirname(path.join(mp, rel)), { recursive: true });
      await writeFile(path.join(mp, rel), data);
    });

  const readAt = (name: string, rel: string): Promise<Buffer | undefined> => withMounted(name, (mp) => readFile(path.join(mp, rel)).catch(() => undefined));

  const removeQuietly = async (name: string): Promise<void> => {
    made.delete(name);
    await driver()
      .umountVolume(name)
      .catch(() => undefined);
    await driver()
      .deleteVolume({ name, referenceOnly: false })
      .catch(() => undefined);
  };

  describe(`driver compliance: ${opts.name}`, () => {
    beforeAll(async () => {
      sut = await opts.setup();
      scratch = await mkdtemp(path.join(tmpdir(), 'convoy-compliance-'));
    });

    afterAll(async () => {
      if (!sut) return;
      for (const name of [...made]) await removeQuietly(name);
      await sut.driver.close?.();
      await sut.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    describe('volumes', () => {
      it('has exactly the facets it declares', () => {
        expect(Boolean(driver().snapshots)).toBe(caps.snapshots);
        expect(driver().backup?.mode ?? 'none').toBe(caps.backup);
        expect(typeof driver().name).toBe('string');
      });

      it('creates a volume that get, list and info then show', async () => {
        const name = await createVolume();
        const record = await driver().getVolume(name);
        expect(record?.name).toBe(name);
        expect(record?.mountpoint).toBeUndefined();
        expect(record?.snapshots).toEqual([]);
        expect(Number.isSafeInteger(record?.size)).toBe(true);
        if (caps.volumeSize !== undefined) expect(record?.size).toBe(caps.volumeSize);
        expect(Number.isNaN(Date.parse(record?.createdAt ?? ''))).toBe(false);
        expect((await driver().listVolumes()).map((v) => v.name)).toContain(name);
        expect(typeof (await driver().info())).toBe('object');
        await removeQuietly(name);
      });

      it('refuses to create a name twice and leaves the first volume as it was', async () => {
        const name = await createVolume();
        await writeAt(name, 'keep.txt', 'first');
        await expectCode(createVolume(name), 'ALREADY_EXISTS');
        expect((await readAt(name, 'keep.txt'))?.toString()).toBe('first');
        await removeQuietly(name);
      });

      it('answers undefined for a missing volume and NOT_FOUND when asked to act on one', async () => {
        const missing = uniqueName('missing');
        expect(await driver().getVolume(missing)).toBeUndefined();
        await expectCode(driver().deleteVolume({ name: missing, referenceOnly: false }), 'NOT_FOUND');
        await expectCode(driver().mountVolume(missing, {}), 'NOT_FOUND');
        await expectCode(driver().umountVolume(missing), 'NOT_FOUND');
        expect((await driver().listVolumes()).map((v) => v.name)).not.toContain(missing);
      });

      it('mounts idempotently at a writable directory, and keeps data across umount and mount', async () => {
        const name = await createVolume();
        const mountpoint = await driver().mountVolume(name, {});
        expect(path.isAbsolute(mountpoint)).toBe(true);
        expect((await stat(mountpoint)).isDirectory()).toBe(true);
        expect(await driver().mountVolume(name, {})).toBe(mountpoint);
        expect((await driver().getVolume(name))?.mountpoint).toBe(mountpoint);
        const data = randomBytes(100_000);
        await writeFile(path.join(mountpoint, 'data.bin'), data);
        await driver().umountVolume(name);
        expect((await driver().getVolume(name))?.mountpoint).toBeUndefined();
        await driver().umountVolume(name);
        expect((await readAt(name, 'data.bin'))?.equals(data)).toBe(true);
        await removeQuietly(name);
      });

      it('refuses to delete a mounted volume and keeps its data', async () => {
        const name = await createVolume();
        const mountpoint = await driver().mountVolume(name, {});
        await writeFile(path.join(mountpoint, 'precious'), 'do not lose');
        await expectCode(driver().deleteVolume({ name, referenceOnly: false }), 'BUSY');
        expect(await readFile(path.join(mountpoint, 'precious'), 'utf8')).toBe('do not lose');
        await driver().umountVolume(name);
        await removeQuietly(name);
      });

      if (caps.userMountpoint) {
        it('mounts at a mountpoint the caller chooses', async () => {
          const name = await createVolume();
          const chosen = path.join(scratch, uniqueName('mnt'));
          await mkdir(chosen);
          expect(await driver().mountVolume(name, { mountpoint: chosen })).toBe(chosen);
          await writeFile(path.join(chosen, 'here'), 'yes');
          await driver().umountVolume(name);
          expect((await readAt(name, 'here'))?.toString()).toBe('yes');
          await removeQuietly(name);
        });
      } else {
        it('refuses a mountpoint chosen by the caller with INVALID_ARGUMENT and stays unmounted', async () => {
          const name = await createVolume();
          await expectCode(driver().mountVolume(name, { mountpoint: path.join(scratch, 'elsewhere') }), 'INVALID_ARGUMENT');
          expect((await driver().getVolume(name))?.mountpoint).toBeUndefined();
          await removeQuietly(name);
        });
      }

      it('deletes a volume so that get and list no longer show it and the name is free again', async () => {
        const name = await createVolume();
        await writeAt(name, 'old.txt', 'old');
        await driver().deleteVolume({ name, referenceOnly: false });
        made.delete(name);
        expect(await driver().getVolume(name)).toBeUndefined();
        expect((await driver().listVolumes()).map((v) => v.name)).not.toContain(name);
        await createVolume(name);
        expect(await readAt(name, 'old.txt')).toBeUndefined();
        await removeQuietly(name);
      });

      it(`on a reference-only delete forgets the volume and ${caps.referenceOnly === 'keeps-data' ? 'keeps' : 'deletes'} its data`, async () => {
        const name = await createVolume();
        await writeAt(name, 'shared.txt', 'shared data');
        await driver().deleteVolume({ name, referenceOnly: true });
        expect(await driver().getVolume(name)).toBeUndefined();
        expect((await driver().listVolumes()).map((v) => v.name)).not.toContain(name);
        await createVolume(name);
        const after = await readAt(name, 'shared.txt');
        if (caps.referenceOnly === 'keeps-data') expect(after?.toString()).toBe('shared data');
        else expect(after).toBeUndefined();
        await removeQuietly(name);
      });

      it('keeps its state consistent when volumes are created and deleted in parallel', async () => {
        const names = await Promise.all([1, 2, 3, 4].map(() => createVolume()));
        const listed = (await driver().listVolumes()).map((v) => v.name);
        for (const name of names) expect(listed).toContain(name);
        await Promise.all(names.map((name) => driver().deleteVolume({ name, referenceOnly: false })));
        for (const name of names) made.delete(name);
        const after = (await driver().listVolumes()).map((v) => v.name);
        for (const name of names) expect(after).not.toContain(name);
      });
    });

    if (caps.snapshots) {
      const snaps = (): SnapshotOps => {
        const ops = driver().snapshots;
        if (!ops) throw new Error('driver lost its snapshot facet');
        return ops;
      };

      /** The bytes of `rel` in the snapshot, through whatever reader the driver offers. */
      const snapshotContains = async (volume: string, snapshot: string, rel: string, marker: Buffer): Promise<boolean> => {
        const backup = driver().backup;
        if (backup?.mode === 'single-file') {
          const dir = await mkdtemp(path.join(scratch, 'export-'));
          await extractTarSafely(await backup.exportSnapshot(volume, snapshot), dir);
          const content = await readFile(path.join(dir, rel)).catch(() => undefined);
          return content?.subarray(0, MARKER_BYTES).equals(marker) ?? false;
        }
        if (backup?.mode === 'delta-block') return (await findInSnapshot(backup, volume, snapshot, [marker]))[0] ?? false;
        if (!sut.readSnapshotFile) throw new Error(`${opts.name}: snapshots without a backup facet need setup().readSnapshotFile`);
        return (await sut.readSnapshotFile(volume, snapshot, rel)).subarray(0, MARKER_BYTES).equals(marker);
      };

      describe('snapshots', () => {
        it('creates a snapshot that get, list and the volume record show', async () => {
          const name = await createVolume();
          const snap = uniqueName('snap');
          const record = await snaps().createSnapshot(name, snap);
          expect(record.name).toBe(snap);
          expect(record.volumeName).toBe(name);
          expect(Number.isNaN(Date.parse(record.createdAt))).toBe(false);
          expect((await snaps().getSnapshot(name, snap))?.name).toBe(snap);
          expect((await snaps().listSnapshots(name)).map((s) => s.name)).toEqual([snap]);
          expect((await driver().getVolume(name))?.snapshots.map((s) => s.name)).toEqual([snap]);
          await removeQuietly(name);
        });

        it('refuses a second snapshot of the same name, and snapshots of missing volumes', async () => {
          const name = await createVolume();
          const snap = uniqueName('snap');
          await snaps().createSnapshot(name, snap);
          await expectCode(snaps().createSnapshot(name, snap), 'ALREADY_EXISTS');
          await expectCode(snaps().createSnapshot(uniqueName('missing'), uniqueName('snap')), 'NOT_FOUND');
          expect(await snaps().getSnapshot(name, uniqueName('nosnap'))).toBeUndefined();
          await expectCode(snaps().deleteSnapshot(name, uniqueName('nosnap')), 'NOT_FOUND');
          expect((await snaps().listSnapshots(name)).map((s) => s.name)).toEqual([snap]);
          await removeQuietly(name);
        });

        it('keeps a snapshot unchanged when the volume is written afterwards', async () => {
          const name = await createVolume();
          const before = randomBytes(MARKER_BYTES * 16);
          const after = randomBytes(MARKER_BYTES * 16);
          const mountpoint = await driver().mountVolume(name, {});
          await writeFile(path.join(mountpoint, 'file.bin'), before);
          const snap = uniqueName('snap');
          await snaps().createSnapshot(name, snap);
          await writeFile(path.join(mountpoint, 'file.bin'), after);
          expect(await snapshotContains(name, snap, 'file.bin', before.subarray(0, MARKER_BYTES))).toBe(true);
          expect(await snapshotContains(name, snap, 'file.bin', after.subarray(0, MARKER_BYTES))).toBe(false);
          expect((await readFile(path.join(mountpoint, 'file.bin'))).equals(after)).toBe(true);
          await driver().umountVolume(name);
          await removeQuietly(name);
        });

        it('deletes a snapshot without touching the volume', async () => {
          const name = await createVolume();
          await writeAt(name, 'live.txt', 'live');
          const snap = uniqueName('snap');
          await snaps().createSnapshot(name, snap);
          await snaps().deleteSnapshot(name, snap);
          expect(await snaps().getSnapshot(name, snap)).toBeUndefined();
          expect(await snaps().listSnapshots(name)).toEqual([]);
          expect((await readAt(name, 'live.txt'))?.toString()).toBe('live');
          await snaps().createSnapshot(name, snap);
          expect((await snaps().listSnapshots(name)).map((s) => s.name)).toEqual([snap]);
          await removeQuietly(name);
        });

        it('deletes a volume that has snapshots', async () => {
          const name = await createVolume();
          await snaps().createSnapshot(name, uniqueName('snap'));
          await snaps().createSnapshot(name, uniqueName('snap'));
          await driver().deleteVolume({ name, referenceOnly: false });
          made.delete(name);
          expect(await driver().getVolume(name)).toBeUndefined();
        });
      });
    }

    if (caps.snapshots && caps.backup === 'single-file') {
      const ops = (): SingleFileBackupOps => driver().backup as SingleFileBackupOps;

      describe('single-file backup facet', () => {
        it('exports a snapshot and imports it as a new volume with the same files', async () => {
          const source = await createVolume();
          const content = randomBytes(300_000);
          await withMounted(source, async (mp) => {
            await mkdir(path.join(mp, 'dir/sub'), { recursive: true });
            await writeFile(path.join(mp, 'dir/sub/data.bin'), content);
            await writeFile(path.join(mp, 'empty'), '');
            await symlink('dir/sub/data.bin', path.join(mp, 'link'));
          });
          const snap = uniqueName('snap');
          await driver().snapshots?.createSnapshot(source, snap);
          const copy = uniqueName('restored');
          made.add(copy);
          const record = await ops().importVolume({ name: copy, options: { ...caps.createOptions } }, await ops().exportSnapshot(source, snap));
          expect(record.name).toBe(copy);
          expect((await driver().getVolume(copy))?.name).toBe(copy);
          await withMounted(copy, async (mp) => {
            expect((await readFile(path.join(mp, 'dir/sub/data.bin'))).equals(content)).toBe(true);
            expect((await readFile(path.join(mp, 'empty'))).length).toBe(0);
            expect(await readlink(path.join(mp, 'link'))).toBe('dir/sub/data.bin');
          });
          await removeQuietly(copy);
          await removeQuietly(source);
        });

        it('refuses to import over an existing volume and leaves it as it was', async () => {
          const source = await createVolume();
          await writeAt(source, 'a.txt', 'source');
          const snap = uniqueName('snap');
          await driver().snapshots?.createSnapshot(source, snap);
          const existing = await createVolume();
          await writeAt(existing, 'mine.txt', 'mine');
          const archive = await ops().exportSnapshot(source, snap);
          await expectCode(ops().importVolume({ name: existing, options: {} }, archive), 'ALREADY_EXISTS');
          archive.destroy();
          expect((await readAt(existing, 'mine.txt'))?.toString()).toBe('mine');
          expect(await readAt(existing, 'a.txt')).toBeUndefined();
          await removeQuietly(existing);
          await removeQuietly(source);
        });

        it('refuses a hostile archive and leaves no volume behind', async () => {
          const name = uniqueName('hostile');
          const pack = tar.pack();
          pack.entry({ name: 'fine.txt' }, 'ok');
          pack.entry({ name: '../escape.txt' }, 'bad');
          pack.finalize();
          const err = await ops()
            .importVolume({ name, options: {} }, Readable.from(pack, { objectMode: false }))
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          made.add(name);
          expect(err).toBeInstanceOf(ConvoyError);
          expect(await driver().getVolume(name)).toBeUndefined();
          made.delete(name);
        });
      });
    }

    if (caps.snapshots && caps.backup === 'delta-block') {
      const ops = (): DeltaBlockBackupOps => driver().backup as DeltaBlockBackupOps;

      describe('delta-block backup facet', () => {
        it('restores a snapshot bit-exact through compare, open, read and createRestoreTarget', async () => {
          const source = await createVolume();
          const content = randomBytes(MARKER_BYTES * 64);
          await writeAt(source, 'data.bin', content);
          const snap = uniqueName('snap');
          const cut = await driver().snapshots?.createSnapshot(source, snap);
          // The engine checks a base snapshot's identity by its creation time, so both views agree.
          expect(await ops().getSnapshot(source, snap)).toMatchObject({ name: snap, volumeName: source, createdAt: cut?.createdAt });
          expect(await ops().getSnapshot(source, uniqueName('nosnap'))).toBeUndefined();

          const extents = await ops().compareSnapshots(source, snap);
          const reader = await ops().openSnapshot(source, snap);
          const copy = uniqueName('restored');
          made.add(copy);
          const target = await ops().createRestoreTarget({ name: copy, options: { ...caps.createOptions } }, reader.size);
          const buf = Buffer.alloc(ops().blockSize);
          try {
            expectAligned(extents, ops().blockSize, reader.size);
            for (const { offset, length } of extents) {
              for (let at = offset; at < offset + length; at += buf.length) {
                await reader.read(buf, at, buf.length);
                await target.write(buf, at, buf.length);
              }
            }
          } finally {
            await reader.close();
          }
          expect(await driver().getVolume(copy)).toBeUndefined();
          const record = await target.commit();
          expect(record.name).toBe(copy);

          // Compare raw bytes before anything mounts the copy (a mount rewrites the superblock).
          const copySnap = uniqueName('snap');
          await driver().snapshots?.createSnapshot(copy, copySnap);
          const original = await ops().openSnapshot(source, snap);
          const restored = await ops().openSnapshot(copy, copySnap);
          const other = Buffer.alloc(buf.length);
          try {
            expect(restored.size).toBe(original.size);
            for (const { offset, length } of extents) {
              for (let at = offset; at < offset + length; at += buf.length) {
                await original.read(buf, at, buf.length);
                await restored.read(other, at, other.length);
                expect(other.equals(buf)).toBe(true);
              }
            }
          } finally {
            await original.close();
            await restored.close();
          }
          expect((await readAt(copy, 'data.bin'))?.equals(content)).toBe(true);
          await removeQuietly(copy);
          await removeQuietly(source);
        });

        it('reports the blocks written between two snapshots as changed', async () => {
          const name = await createVolume();
          const first = randomBytes(MARKER_BYTES * 16);
          await writeAt(name, 'a.bin', first);
          const base = uniqueName('snap');
          await driver().snapshots?.createSnapshot(name, base);
          const second = randomBytes(MARKER_BYTES * 16);
          await writeAt(name, 'b.bin', second);
          const next = uniqueName('snap');
          await driver().snapshots?.createSnapshot(name, next);
          const changed = await ops().compareSnapshots(name, next, base);
          const reader = await ops().openSnapshot(name, next);
          const size = reader.size;
          await reader.close();
          expectAligned(changed, ops().blockSize, size);
          const [inDelta] = await findInSnapshot(ops(), name, next, [second.subarray(0, MARKER_BYTES)], changed);
          expect(inDelta).toBe(true);
          const all = await ops().compareSnapshots(name, next);
          expect(total(all)).toBeGreaterThanOrEqual(total(changed));
          await removeQuietly(name);
        });

        it('leaves no trace of an aborted restore', async () => {
          const name = uniqueName('aborted');
          made.add(name);
          const size = caps.volumeSize ?? ops().blockSize * 16;
          const target = await ops().createRestoreTarget({ name, options: { ...caps.createOptions } }, size);
          await target.write(Buffer.alloc(ops().blockSize, 7), 0, ops().blockSize);
          await target.abort();
          expect(await driver().getVolume(name)).toBeUndefined();
          expect((await driver().listVolumes()).map((v) => v.name)).not.toContain(name);
          await createVolume(name);
          await removeQuietly(name);
        });
      });
    }
  });
}

function expectAligned(extents: ReadonlyArray<{ offset: number; length: number }>, blockSize: number, size: number): void {
  for (const { offset, length } of extents) {
    expect(offset % blockSize).toBe(0);
    expect(length % blockSize).toBe(0);
    expect(length).toBeGreaterThan(0);
    expect(offset + length).toBeLessThanOrEqual(Math.ceil(size / blockSize) * blockSize);
  }
}

function total(extents: ReadonlyArray<{ length: number }>): number {
  return extents.reduce((sum, e) => sum + e.length, 0);
}

/**
 * Whether each marker occurs at a 4 KiB-aligned offset of the snapshot's raw bytes, reading
 * only the given extents (all mapped extents by default) through one reused block buffer.
 */
async function findInSnapshot(
  ops: DeltaBlockBackupOps,
  volume: string,
  snapshot: string,
  markers: Buffer[],
  extents?: ReadonlyArray<{ offset: number; length: number }>,
): Promise<boolean[]> {
  const found = markers.map(() => false);
  const ranges = extents ?? (await ops.compareSnapshots(volume, snapshot));
  const reader = await ops.openSnapshot(volume, snapshot);
  const buf = Buffer.alloc(ops.blockSize);
  try {
    for (const { offset, length } of ranges) {
      for (let at = offset; at < offset + length; at += buf.length) {
        const n = Math.min(buf.length, reader.size - at);
        if (n <= 0) break;
        await reader.read(buf, at, n);
        for (let block = 0; block + MARKER_BYTES <= n; block += MARKER_BYTES) {
          markers.forEach((marker, i) => {
            if (!found[i] && buf.compare(marker, 0, MARKER_BYTES, block, block + MARKER_BYTES) === 0) found[i] = true;
          });
        }
      }
    }
  } finally {
    await reader.close();
  }
  return found;
}
