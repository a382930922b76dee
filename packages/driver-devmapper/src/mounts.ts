import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ConvoyError, isConvoyError } from '@convoy/core';
import { deviceNumberOf } from './block-device.js';
import { growFilesystem, mountOptions } from './filesystem.js';
import { mountPointsOf, readMounts } from './mountinfo.js';
import type { VolumeState } from './state-store.js';
import type { Volumes } from './volumes.js';

/**
 * Mounting volumes at their default (`<root>/mounts/<name>`) or a given mountpoint. What is
 * mounted is read from /proc/self/mountinfo by device number, never guessed from strings.
 */
export class Mounts {
  constructor(private readonly volumes: Volumes) {}

  defaultMountpoint(name: string): string {
    return path.join(this.volumes.parts.root, 'mounts', name);
  }

  /** Where the volume's device is mounted now (empty when it is not, or not active). */
  async currentMountpoints(volume: VolumeState): Promise<string[]> {
    const node = this.volumes.parts.dm.nodePath(this.volumes.deviceName(volume));
    let device: string;
    try {
      device = await deviceNumberOf(node);
    } catch {
      return [];
    }
    return mountPointsOf(device);
  }

  async mount(volume: VolumeState, requested: string | undefined): Promise<string> {
    if (requested !== undefined && !path.isAbsolute(requested)) {
      throw new ConvoyError('INVALID_ARGUMENT', `mountpoint ${JSON.stringify(requested)} must be an absolute path`);
    }
    const current = await this.currentMountpoints(volume);
    if (current.length > 0) {
      const at = current.includes(volume.mountpoint ?? '') ? (volume.mountpoint as string) : (current[0] as string);
      if (requested !== undefined && path.normalize(requested) !== at) {
        throw new ConvoyError('BUSY', `volume ${volume.name} is already mounted at ${at}; unmount it before mounting it at ${requested}`);
      }
      return this.settle(volume, this.volumes.parts.dm.nodePath(this.volumes.deviceName(volume)), at);
    }
    if (!volume.fs) {
      throw new ConvoyError('INVALID_ARGUMENT', `volume ${volume.name} holds no filesystem that can be mounted (it was restored from a raw image)`);
    }
    const target = path.normalize(requested ?? volume.mountpoint ?? this.defaultMountpoint(volume.name));
    const node = await this.volumes.activate(volume);
    await mkdir(target, { recursive: true });
    if ((await readMounts()).some((entry) => entry.mountPoint === target)) {
      throw new ConvoyError('INVALID_ARGUMENT', `mountpoint ${target} already has another filesystem mounted on it`);
    }
    await this.volumes.parts.run('mount', ['-t', volume.fs, ...mountOptions(volume.fs), node, target]);
    return this.settle(volume, node, target);
  }

  /** Finishes a grow interrupted or deferred while unmounted, and records the mountpoint. */
  private async settle(volume: VolumeState, node: string, mountpoint: string): Promise<string> {
    const grow = volume.fsGrowPending === true && volume.fs !== undefined;
    if (grow) await growFilesystem(this.volumes.parts.run, volume.fs as string, node, mountpoint);
    if (grow || volume.mountpoint !== mountpoint) {
      const { fsGrowPending: _done, ...settled } = volume;
      await this.volumes.parts.store.saveVolume({ ...settled, mountpoint });
    }
    return mountpoint;
  }

  /** Unmounts wherever the device is mounted; removes the default mountpoint directory. */
  async umount(volume: VolumeState): Promise<void> {
    for (const mountpoint of await this.currentMountpoints(volume)) {
      try {
        await this.volumes.parts.run('umount', [mountpoint]);
      } catch (err) {
        if (isConvoyError(err) && /busy/i.test(String(err.details?.stderr))) {
          throw new ConvoyError('BUSY', `volume ${volume.name} is in use at ${mountpoint} (a process has files open there)`, { cause: err });
        }
        throw err;
      }
    }
    // A default mountpoint someone wrote into while it was unmounted is left alone.
    if (volume.mountpoint === this.defaultMountpoint(volume.name)) await rmdir(volume.mountpoint).catch(() => undefined);
    if (volume.mountpoint !== undefined) {
      delete volume.mountpoint;
      await this.volumes.parts.store.saveVolume(volume);
    }
  }
}
