import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { BlockReader, CreateVolumeRequest, DeltaBlockBackupOps, RestoreTarget, VolumeWriter } from '../driver.js';
import { ConvoyError } from '../errors.js';
import type { Extent, SnapshotRecord, VolumeRecord } from '../model.js';
import { validateName } from '../names.js';
import { readJsonFile, writeJsonAtomic } from '../state/atomic-file.js';

const BLOCK_SIZE = 2 * 1024 * 1024;
const STATE_FILE = 'image-source.json';

interface SnapshotState {
  name: string;
  /** The snapshot taken before this one, which `changed` is relative to. */
  parent?: string;
  /** Extents written between the parent and this snapshot, as thin_delta would report them. */
  changed: Extent[];
  /** Every extent ever written: what a thin device has mapped. */
  mapped: Extent[];
  createdAt: string;
}

interface VolumeState {
  size: number;
  createdAt: string;
  mapped: Extent[];
  /** Written since the last snapshot. */
  pending: Extent[];
  snapshots: SnapshotState[];
}

interface State {
  volumes: Record<string, VolumeState>;
}

/**
 * A `DeltaBlockBackupOps` over image files, so the engine's delta-block mode can be tested and
 * benchmarked without a kernel. Volumes and snapshots are files under `dir`; a snapshot is a
 * copy (a reflink where the filesystem has them) plus the extents changed since the previous
 * snapshot, which the caller states (`writeVolume` records its own writes; `markChanged` takes
 * what a test wrote into `volumePath()` itself). Restore targets are files too. The state is a
 * JSON file in `dir`, so a child process can open the same source.
 */
export class ImageSource implements DeltaBlockBackupOps {
  readonly mode = 'delta-block' as const;

  private constructor(
    readonly dir: string,
    readonly blockSize: number,
    private state: State,
  ) {}

  static async open(dir: string, opts: { blockSize?: number } = {}): Promise<ImageSource> {
    for (const sub of ['volumes', 'snapshots', 'restoring']) await fs.mkdir(path.join(dir, sub), { recursive: true });
    const state = (await readJsonFile<State>(path.join(dir, STATE_FILE))) ?? { volumes: {} };
    return new ImageSource(dir, opts.blockSize ?? BLOCK_SIZE, state);
  }

  volumePath(name: string): string {
    return path.join(this.dir, 'volumes', `${validateName(name, 'volume')}.img`);
  }

  snapshotPath(name: string): string {
    return path.join(this.dir, 'snapshots', `${validateName(name, 'snapshot')}.img`);
  }

  /** A sparse image of `size` bytes; nothing is mapped yet. */
  async createVolume(name: string, size: number): Promise<string> {
    return this.addVolume(
      name,
      size,
      async (file) => {
        await fs.writeFile(file, '', { flag: 'wx' });
        await fs.truncate(file, size);
      },
      [],
    );
  }

  /** Takes an existing image file as a volume (a reflink copy); `mapped` defaults to all of it. */
  async importImage(name: string, image: string, mapped?: Extent[]): Promise<string> {
    const { size } = await fs.stat(image);
    return this.addVolume(
      name,
      size,
      (file) => fs.copyFile(image, file, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE),
      mapped ?? [{ offset: 0, length: size }],
    );
  }

  /** Writes into the volume and records the write as changed. */
  async writeVolume(name: string, offset: number, data: Buffer): Promise<void> {
    const volume = this.volume(name);
    if (offset < 0 || offset + data.length > volume.size)
      throw new ConvoyError('INVALID_ARGUMENT', `write of ${data.length} bytes at ${offset} runs past the ${volume.size}-byte volume`);
    const handle = await fs.open(this.volumePath(name), 'r+');
    try {
      await writeFully(handle, data, offset, data.length);
    } finally {
      await handle.close();
    }
    await this.markChanged(name, [{ offset, length: data.length }]);
  }

  /**
   * Unmaps whole blocks, as a discard on a thin device does: they read as zeros, stop being
   * mapped, and count as changed (thin_delta reports them as differing from the last snapshot).
   */
  async discardVolume(name: string, extent: Extent): Promise<void> {
    const volume = this.volume(name);
    const { offset, length } = extent;
    if (offset % this.blockSize !== 0 || (length % this.blockSize !== 0 && offset + length !== volume.size)) {
      throw new ConvoyError('INVALID_ARGUMENT', `discard {offset ${offset}, length ${length}} is not whole blocks`);
    }
    const handle = await fs.open(this.volumePath(name), 'r+');
    try {
      await writeFully(handle, Buffer.alloc(length), offset, length);
    } finally {
      await handle.close();
    }
    volume.mapped = subtract(volume.mapped, extent);
    volume.pending = normalize([...volume.pending, extent]);
    await this.save();
  }

  /** Records extents the caller wrote into `volumePath(name)` itself. */
  async markChanged(name: string, extents: Extent[]): Promise<void> {
    const volume = this.volume(name);
    const aligned = extents.map((e) => this.align(e, volume.size));
    volume.pending = normalize([...volume.pending, ...aligned]);
    volume.mapped = normalize([...volume.mapped, ...aligned]);
    await this.save();
  }

  async snapshot(volumeName: string, snapshotName: string): Promise<void> {
    const volume = this.volume(volumeName);
    await fs.copyFile(this.volumePath(volumeName), this.snapshotPath(snapshotName), constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    const parent = volume.snapshots[volume.snapshots.length - 1]?.name;
    volume.snapshots.push({ name: snapshotName, parent, changed: volume.pending, mapped: volume.mapped, createdAt: new Date().toISOString() });
    volume.pending = [];
    await this.save();
  }

  snapshotRecord(volumeName: string, snapshotName: string): SnapshotRecord {
    const { createdAt } = this.snapshotState(volumeName, snapshotName);
    return { name: snapshotName, volumeName, createdAt, driverInfo: { path: this.snapshotPath(snapshotName) } };
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    const volume = this.volume(volumeName);
    this.snapshotState(volumeName, snapshotName);
    // Later snapshots keep their diffs relative to the one before the deleted snapshot.
    const index = volume.snapshots.findIndex((s) => s.name === snapshotName);
    const removed = volume.snapshots[index]!;
    const next = volume.snapshots[index + 1];
    if (next) {
      next.parent = removed.parent;
      next.changed = normalize([...removed.changed, ...next.changed]);
    }
    volume.snapshots.splice(index, 1);
    await fs.rm(this.snapshotPath(snapshotName), { force: true });
    await this.save();
  }

  volumeNames(): string[] {
    return Object.keys(this.state.volumes).sort();
  }

  volumeRecord(name: string): VolumeRecord {
    const volume = this.volume(name);
    return { name, driver: 'image', size: volume.size, createdAt: volume.createdAt, snapshots: [], driverInfo: { path: this.volumePath(name) } };
  }

  async getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined> {
    const known = this.state.volumes[volumeName]?.snapshots.some((s) => s.name === snapshotName) ?? false;
    return known ? this.snapshotRecord(volumeName, snapshotName) : undefined;
  }

  async compareSnapshots(volumeName: string, snapshotName: string, baseSnapshotName?: string): Promise<Extent[]> {
    const volume = this.volume(volumeName);
    const snapshot = this.snapshotState(volumeName, snapshotName);
    if (!baseSnapshotName) return snapshot.mapped;
    let changed: Extent[] = [];
    for (let at: SnapshotState | undefined = snapshot; at?.name !== baseSnapshotName; at = volume.snapshots.find((s) => s.name === at!.parent)) {
      if (!at) throw new ConvoyError('INVALID_ARGUMENT', `snapshot ${baseSnapshotName} is not an ancestor of ${snapshotName}`);
      changed = normalize([...changed, ...at.changed]);
    }
    return changed;
  }

  async openSnapshot(volumeName: string, snapshotName: string): Promise<BlockReader> {
    const volume = this.volume(volumeName);
    this.snapshotState(volumeName, snapshotName);
    const handle = await fs.open(this.snapshotPath(snapshotName), 'r');
    return {
      size: volume.size,
      read: (buf, offset, length) => readFully(handle, buf, offset, length),
      close: () => handle.close(),
    };
  }

  /**
   * This source with `beforeRead` awaited before every snapshot read, for fault injection: a
   * device that fails part-way through a backup, or a slow one that widens a window for a kill.
   */
  withReadHook(beforeRead: (offset: number) => Promise<void>): DeltaBlockBackupOps {
    return {
      mode: 'delta-block',
      blockSize: this.blockSize,
      getSnapshot: (v, s) => this.getSnapshot(v, s),
      compareSnapshots: (v, s, b) => this.compareSnapshots(v, s, b),
      createRestoreTarget: (r, size) => this.createRestoreTarget(r, size),
      openVolumeWriter: (v) => this.openVolumeWriter(v),
      openSnapshot: async (v, s) => {
        const reader = await this.openSnapshot(v, s);
        return {
          size: reader.size,
          close: () => reader.close(),
          read: async (buf, offset, length) => {
            await beforeRead(offset);
            await reader.read(buf, offset, length);
          },
        };
      },
    };
  }

  async createRestoreTarget(req: CreateVolumeRequest, size: number): Promise<RestoreTarget> {
    const name = validateName(req.name, 'volume');
    if (this.state.volumes[name]) throw new ConvoyError('ALREADY_EXISTS', `volume ${name} already exists`);
    const temp = path.join(this.dir, 'restoring', `${name}.${randomBytes(4).toString('hex')}.img`);
    const handle = await fs.open(temp, 'wx');
    await handle.truncate(size);
    const written: Extent[] = [];
    return {
      write: async (buf, offset, length) => {
        await writeFully(handle, buf, offset, length);
        written.push({ offset, length });
      },
      commit: async () => {
        await handle.sync();
        await handle.close();
        await this.addVolume(name, size, (file) => fs.rename(temp, file), written);
        return this.volumeRecord(name);
      },
      abort: async () => {
        await handle.close().catch(() => undefined);
        await fs.rm(temp, { force: true });
      },
    };
  }

  /** Writes into an existing image (a standby being synced); what it writes or zeroes counts as changed at close. */
  async openVolumeWriter(name: string): Promise<VolumeWriter> {
    const volume = this.volume(name);
    const handle = await fs.open(this.volumePath(name), 'r+');
    const touched: Extent[] = [];
    const zeros = Buffer.alloc(this.blockSize);
    return {
      size: volume.size,
      write: async (buf, offset, length) => {
        await writeFully(handle, buf, offset, length);
        touched.push({ offset, length });
      },
      zero: async (offset, length) => {
        for (let done = 0; done < length; done += zeros.length) await writeFully(handle, zeros, offset + done, Math.min(zeros.length, length - done));
        touched.push({ offset, length });
      },
      close: async () => {
        await handle.sync();
        await handle.close();
        await this.markChanged(name, touched);
      },
    };
  }

  private async addVolume(name: string, size: number, make: (file: string) => Promise<void>, mapped: Extent[]): Promise<string> {
    if (this.state.volumes[name]) throw new ConvoyError('ALREADY_EXISTS', `volume ${name} already exists`);
    const file = this.volumePath(name);
    await make(file);
    this.state.volumes[name] = {
      size,
      createdAt: new Date().toISOString(),
      mapped: normalize(mapped.map((e) => this.align(e, size))),
      pending: [],
      snapshots: [],
    };
    await this.save();
    return file;
  }

  private volume(name: string): VolumeState {
    const volume = this.state.volumes[name];
    if (!volume) throw new ConvoyError('NOT_FOUND', `image volume ${name} does not exist`);
    return volume;
  }

  private snapshotState(volumeName: string, snapshotName: string): SnapshotState {
    const snapshot = this.volume(volumeName).snapshots.find((s) => s.name === snapshotName);
    if (!snapshot) throw new ConvoyError('NOT_FOUND', `snapshot ${snapshotName} of image volume ${volumeName} does not exist`);
    return snapshot;
  }

  /** Rounds out to whole blocks, as a thin pool reports its chunks; the last block may be short. */
  private align({ offset, length }: Extent, size: number): Extent {
    const start = Math.floor(offset / this.blockSize) * this.blockSize;
    const end = Math.min(size, Math.ceil((offset + length) / this.blockSize) * this.blockSize);
    return { offset: start, length: Math.max(0, end - start) };
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(path.join(this.dir, STATE_FILE), this.state);
  }
}

/** Sorted, merged, without empty extents. */
function normalize(extents: Extent[]): Extent[] {
  const out: Extent[] = [];
  for (const e of [...extents].filter((x) => x.length > 0).sort((a, b) => a.offset - b.offset)) {
    const last = out[out.length - 1];
    if (last && e.offset <= last.offset + last.length) last.length = Math.max(last.length, e.offset + e.length - last.offset);
    else out.push({ ...e });
  }
  return out;
}

function subtract(extents: Extent[], hole: Extent): Extent[] {
  const holeEnd = hole.offset + hole.length;
  return extents.flatMap((e) => {
    const end = e.offset + e.length;
    const left = { offset: e.offset, length: Math.max(0, Math.min(end, hole.offset) - e.offset) };
    const right = { offset: Math.max(e.offset, holeEnd), length: Math.max(0, end - Math.max(e.offset, holeEnd)) };
    return [left, right].filter((x) => x.length > 0);
  });
}

async function readFully(handle: FileHandle, buf: Buffer, offset: number, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) {
      buf.fill(0, done, length);
      return;
    }
    done += bytesRead;
  }
}

async function writeFully(handle: FileHandle, buf: Buffer, offset: number, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buf, done, length - done, offset + done);
    done += bytesWritten;
  }
}
