/**
 * A whole VolumeDriver over an ImageSource (image files on the host): the block-writable driver
 * the manager's standby tests and their kill -9 children run, where devmapper needs a guest.
 * Mounts are only recorded (nothing is mounted); deletes are not supported. For kills:
 * `beforeWrite` runs before each write or zero of a standby sync and each block write of a
 * restore, `beforeClose` before a sync's fsync and `afterClose` after it, `beforeCommit` before a
 * restore's commit (its fsync and rename into place) and `afterCommit` after it.
 */
import path from 'node:path';
import { ConvoyError, isConvoyError, type RestoreTarget, type VolumeDriver, type VolumeRecord, type VolumeWriter } from '@convoy/core';
import type { ImageSource } from '@convoy/core/testing';

export interface WriteHooks {
  beforeWrite?: (offset: number) => Promise<void> | void;
  beforeClose?: () => Promise<void> | void;
  afterClose?: () => Promise<void> | void;
  beforeCommit?: () => Promise<void> | void;
  afterCommit?: () => Promise<void> | void;
}

export function imageDriver(source: ImageSource, hooks: WriteHooks = {}): VolumeDriver {
  const mounted = new Map<string, string>();
  const record = (name: string): VolumeRecord => {
    const mountpoint = mounted.get(name);
    return { ...source.volumeRecord(name), ...(mountpoint ? { mountpoint } : {}) };
  };
  const find = async (name: string): Promise<VolumeRecord | undefined> => {
    try {
      return record(name);
    } catch (err) {
      if (isConvoyError(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  };
  const hooked = (writer: VolumeWriter): VolumeWriter => ({
    size: writer.size,
    write: async (buf, offset, length) => {
      await hooks.beforeWrite?.(offset);
      await writer.write(buf, offset, length);
    },
    zero: async (offset, length) => {
      await hooks.beforeWrite?.(offset);
      await writer.zero(offset, length);
    },
    close: async () => {
      await hooks.beforeClose?.();
      await writer.close();
      await hooks.afterClose?.();
    },
  });
  const hookedTarget = (target: RestoreTarget): RestoreTarget => ({
    write: async (buf, offset, length) => {
      await hooks.beforeWrite?.(offset);
      await target.write(buf, offset, length);
    },
    commit: async () => {
      await hooks.beforeCommit?.();
      const committed = await target.commit();
      await hooks.afterCommit?.();
      return committed;
    },
    abort: () => target.abort(),
  });
  return {
    name: 'image',
    traits: { blockDevice: true },
    info: async () => ({ dir: source.dir }),
    createVolume: async (req) => {
      await source.createVolume(req.name, req.size ?? 16 * 1024 * 1024);
      return record(req.name);
    },
    deleteVolume: async () => {
      throw new ConvoyError('NOT_SUPPORTED', 'the image test driver does not delete volumes');
    },
    mountVolume: async (name) => {
      record(name);
      const mountpoint = path.join(source.dir, 'mounted', name);
      mounted.set(name, mountpoint);
      return mountpoint;
    },
    umountVolume: async (name) => void mounted.delete(name),
    getVolume: find,
    listVolumes: async () => source.volumeNames().map(record),
    snapshots: {
      createSnapshot: async (volume, snapshot) => {
        await source.snapshot(volume, snapshot);
        return source.snapshotRecord(volume, snapshot);
      },
      deleteSnapshot: (volume, snapshot) => source.deleteSnapshot(volume, snapshot),
      getSnapshot: (volume, snapshot) => source.getSnapshot(volume, snapshot),
      listSnapshots: async () => [],
    },
    backup: {
      mode: 'delta-block',
      blockSize: source.blockSize,
      getSnapshot: (v, s) => source.getSnapshot(v, s),
      compareSnapshots: (v, s, b) => source.compareSnapshots(v, s, b),
      openSnapshot: (v, s) => source.openSnapshot(v, s),
      createRestoreTarget: async (r, size) => hookedTarget(await source.createRestoreTarget(r, size)),
      openVolumeWriter: async (name) => hooked(await source.openVolumeWriter(name)),
    },
  };
}
