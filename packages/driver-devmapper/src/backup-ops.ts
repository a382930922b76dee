import { type FileHandle, open } from 'node:fs/promises';
import {
  type BlockReader,
  ConvoyError,
  type CreateVolumeRequest,
  type DeltaBlockBackupOps,
  type Extent,
  type RestoreTarget,
  type SnapshotRecord,
  type VolumeRecord,
  type VolumeWriter,
} from '@convoy/core';
import { CHANGE_BLOCK_SIZE } from './change-block.js';
import { snapshotExtents } from './changed-blocks.js';
import { detectFilesystem } from './filesystem.js';
import type { Snapshots } from './snapshots.js';
import type { Volumes } from './volumes.js';

/** Repeats a pread/pwrite `step` until `length` bytes moved: the kernel may return short counts. */
async function untilDone(length: number, offset: number, what: string, step: (done: number) => Promise<number>): Promise<void> {
  let done = 0;
  while (done < length) {
    const moved = await step(done);
    if (moved === 0) throw new ConvoyError('STATE_ERROR', `${what} stopped at byte ${offset + done} of the device (past its end?)`);
    done += moved;
  }
}

function readAt(fh: FileHandle, buf: Buffer, offset: number, length: number): Promise<void> {
  return untilDone(length, offset, 'read', async (done) => (await fh.read(buf, done, length - done, offset + done)).bytesRead);
}

function writeAt(fh: FileHandle, buf: Buffer, offset: number, length: number): Promise<void> {
  return untilDone(length, offset, 'write', async (done) => (await fh.write(buf, done, length - done, offset + done)).bytesWritten);
}

/**
 * Delta-block backups from the pool's own mappings: thin_delta between two snapshots (or a
 * snapshot and itself for a full backup), snapshot devices activated read-only only while a
 * backup reads them, and restores written into a fresh thin device.
 */
export class DevmapperBackupOps implements DeltaBlockBackupOps {
  readonly mode = 'delta-block';
  readonly blockSize = CHANGE_BLOCK_SIZE;
  /** Open readers per snapshot device, so two backups of one snapshot share its activation. */
  private readonly readers = new Map<string, number>();

  constructor(
    private readonly volumes: Volumes,
    private readonly snapshots: Snapshots,
  ) {}

  getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined> {
    return this.snapshots.getSnapshot(volumeName, snapshotName);
  }

  /**
   * Incremental: every block thin_delta does not report as `same`. `left_only` blocks (mapped
   * in the base, unmapped now, e.g. after a discard) are included: they now read as zeros and
   * the backup must say so, or a restore would bring back the old bytes.
   */
  async compareSnapshots(volumeName: string, snapshotName: string, baseSnapshotName?: string): Promise<Extent[]> {
    return (await snapshotExtents(this.volumes, this.snapshots, { volumeName, snapshotName, baseSnapshotName, alignBytes: CHANGE_BLOCK_SIZE })).extents;
  }

  /**
   * The snapshot's device is activated here, before the first read, even when the backup will
   * read nothing (an unchanged volume): an active device is what tells a snapshot delete that a
   * backup is reading it (VolumeStore.assertDeletable), so it must exist as long as the reader.
   */
  async openSnapshot(volumeName: string, snapshotName: string): Promise<BlockReader> {
    const { snapshot } = this.snapshots.require(volumeName, snapshotName);
    const { dm, pool } = this.volumes.parts;
    const name = pool.deviceName(snapshot.devId, snapshotName);
    const fh = await this.activate(name, () => dm.create(name, pool.thinTable(snapshot.devId, snapshot.size), { readOnly: true }));
    let closed = false;
    return {
      size: snapshot.size,
      read: (buf, offset, length) => readAt(fh, buf, offset, length),
      close: async () => {
        if (closed) return;
        closed = true;
        await fh.close();
        await this.release(name);
      },
    };
  }

  /** Opens the device `name`, activating it (`create`) unless another reader already has. */
  private async activate(name: string, create: () => Promise<string>): Promise<FileHandle> {
    const users = this.readers.get(name) ?? 0;
    this.readers.set(name, users + 1);
    try {
      return await open(users > 0 ? this.volumes.parts.dm.nodePath(name) : await create(), 'r');
    } catch (err) {
      await this.release(name);
      throw err;
    }
  }

  private async release(name: string): Promise<void> {
    const users = (this.readers.get(name) ?? 1) - 1;
    if (users > 0) {
      this.readers.set(name, users);
      return;
    }
    this.readers.delete(name);
    await this.volumes.parts.dm.removeIfPresent(name);
  }

  /**
   * A standby's sync writes into the volume's own thin device (activated if it is not). Zeros
   * are written as zeros rather than discarded: the volume's filesystem must read them back
   * whatever the pool's discard settings, and a sync zeroes only the blocks it must.
   */
  async openVolumeWriter(volumeName: string): Promise<VolumeWriter> {
    const volume = this.volumes.require(volumeName);
    const fh = await open(await this.volumes.activate(volume), 'r+');
    const zeros = Buffer.alloc(CHANGE_BLOCK_SIZE);
    return {
      size: volume.size,
      write: (buf, offset, length) => writeAt(fh, buf, offset, length),
      zero: async (offset, length) => {
        for (let done = 0; done < length; done += zeros.length) await writeAt(fh, zeros, offset + done, Math.min(zeros.length, length - done));
      },
      close: async () => {
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      },
    };
  }

  async createRestoreTarget(req: CreateVolumeRequest, size: number): Promise<RestoreTarget> {
    const existing = this.volumes.parts.store.volume(req.name);
    if (existing) {
      throw new ConvoyError(
        'ALREADY_EXISTS',
        existing.retainedAt
          ? `volume ${req.name} was deleted reference-only and its data is kept under that name; restore under another name`
          : `volume ${req.name} already exists`,
      );
    }
    this.volumes.checkSize(size);
    const { devId, intentId, node } = await this.volumes.provision(req.name, size);
    const intent = { op: 'create-volume', volume: req.name, devId } as const;
    let fh: FileHandle;
    try {
      fh = await open(node, 'r+');
    } catch (err) {
      await this.volumes.abandon(intent, intentId);
      throw err;
    }
    let finished = false;
    const finish = async (): Promise<void> => {
      if (finished) throw new ConvoyError('INTERNAL', `restore target ${req.name} was already committed or aborted`);
      finished = true;
    };
    return {
      write: (buf, offset, length) => writeAt(fh, buf, offset, length),
      commit: async (): Promise<VolumeRecord> => {
        await finish();
        await fh.sync();
        await fh.close();
        const fs = await detectFilesystem(this.volumes.parts.run, node);
        const volume = { name: req.name, devId, size, createdAt: new Date().toISOString(), snapshots: {}, ...(fs ? { fs } : {}) };
        await this.volumes.parts.store.saveVolume(volume);
        await this.volumes.parts.intents.clear(intentId);
        return this.volumes.record(volume);
      },
      abort: async () => {
        await finish();
        await fh.close();
        await this.volumes.abandon(intent, intentId);
      },
    };
  }
}
