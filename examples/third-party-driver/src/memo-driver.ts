import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ConvoyError,
  type CreateVolumeRequest,
  type DeleteVolumeRequest,
  type DriverTraits,
  extractTarSafely,
  fsyncDir,
  KeyedMutex,
  type Logger,
  type OptionSpec,
  packDirectory,
  readJsonFile,
  type SingleFileBackupOps,
  type SnapshotOps,
  type SnapshotRecord,
  type VolumeDriver,
  type VolumeRecord,
  validateName,
  writeJsonAtomic,
} from '@convoy/core';

interface MemoState {
  volumes: Record<string, { createdAt: string; mounted: boolean; note?: string; snapshots: Record<string, { createdAt: string }> }>;
}

/**
 * Volumes are directories under `<root>/volumes/`; a snapshot is a tar archive of the volume
 * (a "memo") under `<root>/memos/`. All state is one JSON file, rewritten atomically under one
 * lock, because the manager only serialises work on the same volume.
 */
export class MemoDriver implements VolumeDriver {
  readonly name = 'memo';
  /**
   * What `convoy create --opt`, `docker volume create -o` and a StorageClass's parameters may
   * carry; the manager refuses any other key before the driver is called.
   */
  readonly volumeOptions: readonly OptionSpec[] = [{ key: 'note', description: 'a line of text kept with the volume and shown as its Note' }];
  /** Directories under this host's memo root: node-local, sizeless. CSI reads these for topology and sizes. */
  readonly traits: DriverTraits = { nodeLocal: true, blockDevice: false, sizeUnit: 1, honoursSize: false };
  readonly snapshots: SnapshotOps;
  readonly backup: SingleFileBackupOps;
  private readonly stateLock = new KeyedMutex();
  private readonly stateFile: string;

  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {
    this.stateFile = path.join(root, 'memo.json');
    this.snapshots = {
      createSnapshot: (volume, snapshot) => this.createMemo(volume, snapshot),
      deleteSnapshot: (volume, snapshot) => this.deleteMemo(volume, snapshot),
      getSnapshot: async (volume, snapshot) => (await this.volumeRecord(volume))?.snapshots.find((s) => s.name === snapshot),
      listSnapshots: async (volume) => (await this.requireRecord(volume)).snapshots,
    };
    this.backup = {
      mode: 'single-file',
      exportSnapshot: (volume, snapshot) => this.exportMemo(volume, snapshot),
      importVolume: (req, tar) => this.importVolume(req, tar),
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const state = await this.readState();
    return { Root: this.root, Volumes: Object.keys(state.volumes).length };
  }

  async createVolume(req: CreateVolumeRequest): Promise<VolumeRecord> {
    const note = noteOf(req);
    return this.mutate(async (state) => {
      if (state.volumes[req.name]) throw new ConvoyError('ALREADY_EXISTS', `memo volume ${req.name} already exists`);
      await fs.rm(this.volumeDir(req.name), { recursive: true, force: true });
      await fs.mkdir(this.volumeDir(req.name), { recursive: true });
      state.volumes[req.name] = { createdAt: new Date().toISOString(), mounted: false, ...note, snapshots: {} };
      return req.name;
    }).then((name) => this.requireRecord(name));
  }

  /** This driver has nothing to share, so a reference-only delete removes the data too. */
  async deleteVolume(req: DeleteVolumeRequest): Promise<void> {
    await this.mutate(async (state) => {
      const volume = this.requireIn(state, req.name);
      if (volume.mounted) throw new ConvoyError('BUSY', `memo volume ${req.name} is mounted; unmount it first`);
      delete state.volumes[req.name];
    });
    await fs.rm(this.volumeDir(req.name), { recursive: true, force: true });
    await fs.rm(this.memoDir(req.name), { recursive: true, force: true });
  }

  async mountVolume(name: string, opts: { mountpoint?: string }): Promise<string> {
    if (opts.mountpoint !== undefined) throw new ConvoyError('INVALID_ARGUMENT', 'the memo driver always mounts a volume at its own directory');
    await this.mutate(async (state) => {
      this.requireIn(state, name).mounted = true;
    });
    return this.volumeDir(name);
  }

  async umountVolume(name: string): Promise<void> {
    await this.mutate(async (state) => {
      this.requireIn(state, name).mounted = false;
    });
  }

  getVolume(name: string): Promise<VolumeRecord | undefined> {
    return this.volumeRecord(name);
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    const state = await this.readState();
    return Object.keys(state.volumes).map((name) => this.toRecord(name, state));
  }

  private async createMemo(volume: string, snapshot: string): Promise<SnapshotRecord> {
    await this.mutate(async (state) => {
      const entry = this.requireIn(state, volume);
      if (entry.snapshots[snapshot]) throw new ConvoyError('ALREADY_EXISTS', `memo volume ${volume} already has a snapshot ${snapshot}`);
      const file = this.memoFile(volume, snapshot);
      const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
      await fs.mkdir(path.dirname(file), { recursive: true });
      try {
        await pipeline(packDirectory(this.volumeDir(volume)), createWriteStream(partial));
        await fsyncFile(partial);
        await fs.rename(partial, file);
        await fsyncDir(path.dirname(file));
      } catch (err) {
        await fs.rm(partial, { force: true });
        throw err;
      }
      entry.snapshots[snapshot] = { createdAt: new Date().toISOString() };
    });
    this.log.info('memo snapshot written', { volume, snapshot });
    return (await this.snapshots.getSnapshot(volume, snapshot)) as SnapshotRecord;
  }

  private async deleteMemo(volume: string, snapshot: string): Promise<void> {
    await this.mutate(async (state) => {
      const entry = this.requireIn(state, volume);
      if (!entry.snapshots[snapshot]) throw new ConvoyError('NOT_FOUND', `memo volume ${volume} has no snapshot ${snapshot}`);
      delete entry.snapshots[snapshot];
    });
    await fs.rm(this.memoFile(volume, snapshot), { force: true });
  }

  private async exportMemo(volume: string, snapshot: string): Promise<Readable> {
    if (!(await this.snapshots.getSnapshot(volume, snapshot))) throw new ConvoyError('NOT_FOUND', `memo volume ${volume} has no snapshot ${snapshot}`);
    return createReadStream(this.memoFile(volume, snapshot));
  }

  private async importVolume(req: CreateVolumeRequest, tar: Readable): Promise<VolumeRecord> {
    const note = noteOf(req);
    const staging = path.join(this.root, `.import-${randomBytes(6).toString('hex')}`);
    try {
      if (await this.volumeRecord(req.name)) throw new ConvoyError('ALREADY_EXISTS', `memo volume ${req.name} already exists`);
      await extractTarSafely(tar, staging);
      await this.mutate(async (state) => {
        if (state.volumes[req.name]) throw new ConvoyError('ALREADY_EXISTS', `memo volume ${req.name} already exists`);
        await fs.rm(this.volumeDir(req.name), { recursive: true, force: true });
        await fs.mkdir(path.dirname(this.volumeDir(req.name)), { recursive: true });
        await fs.rename(staging, this.volumeDir(req.name));
        state.volumes[req.name] = { createdAt: new Date().toISOString(), mounted: false, ...note, snapshots: {} };
      });
      return await this.requireRecord(req.name);
    } finally {
      tar.destroy();
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /** Read-modify-write of the state file, one at a time. */
  private mutate<T>(change: (state: MemoState) => Promise<T>): Promise<T> {
    return this.stateLock.run('state', async () => {
      const state = await this.readState();
      const result = await change(state);
      await writeJsonAtomic(this.stateFile, state);
      return result;
    });
  }

  private async readState(): Promise<MemoState> {
    return (await readJsonFile<MemoState>(this.stateFile)) ?? { volumes: {} };
  }

  private requireIn(state: MemoState, name: string): MemoState['volumes'][string] {
    const volume = state.volumes[name];
    if (!volume) throw new ConvoyError('NOT_FOUND', `memo volume ${name} does not exist`);
    return volume;
  }

  private async volumeRecord(name: string): Promise<VolumeRecord | undefined> {
    const state = await this.readState();
    return state.volumes[name] ? this.toRecord(name, state) : undefined;
  }

  private async requireRecord(name: string): Promise<VolumeRecord> {
    const record = await this.volumeRecord(name);
    if (!record) throw new ConvoyError('NOT_FOUND', `memo volume ${name} does not exist`);
    return record;
  }

  private toRecord(name: string, state: MemoState): VolumeRecord {
    const volume = this.requireIn(state, name);
    return {
      name,
      driver: this.name,
      size: 0,
      createdAt: volume.createdAt,
      ...(volume.mounted ? { mountpoint: this.volumeDir(name) } : {}),
      snapshots: Object.entries(volume.snapshots).map(([snapshot, s]) => ({
        name: snapshot,
        volumeName: name,
        createdAt: s.createdAt,
        driverInfo: { File: this.memoFile(name, snapshot) },
      })),
      driverInfo: { Path: this.volumeDir(name), ...(volume.note === undefined ? {} : { Note: volume.note }) },
    };
  }

  private volumeDir(name: string): string {
    return path.join(this.root, 'volumes', validateName(name, 'volume'));
  }

  private memoDir(volume: string): string {
    return path.join(this.root, 'memos', volume);
  }

  private memoFile(volume: string, snapshot: string): string {
    return path.join(this.memoDir(volume), `${snapshot}.tar`);
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The `note` create option, refused when it is not one short line (it is shown in listings). */
function noteOf(req: CreateVolumeRequest): { note?: string } {
  const note = req.options['note'];
  if (note === undefined) return {};
  if (note.length > 200 || /[\r\n\0]/.test(note)) throw new ConvoyError('INVALID_ARGUMENT', 'the memo note must be one line of at most 200 characters');
  return { note };
}
