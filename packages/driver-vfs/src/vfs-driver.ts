import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type CommandRunner,
  ConvoyError,
  type CreateVolumeRequest,
  type DeleteVolumeRequest,
  type DriverTraits,
  type Logger,
  type VolumeDriver,
  type VolumeRecord,
} from '@convoy/core';
import { discardDirectory, exists } from './directories.js';
import { VfsLayout } from './layout.js';
import { VFS_VOLUME_OPTIONS, type VfsSettings } from './options.js';
import { VfsSingleFileBackup } from './single-file-backup.js';
import { VfsSnapshots } from './snapshots.js';
import { nowAsConfigTime, toVolumeRecord, type VfsVolumeConfig, VolumeConfigs, type VolumeLockTiming } from './volume-config.js';

/** The file a volume prepared for a VM carries: a sparse disk image of the volume's size. */
const VM_DISK_IMAGE = 'disk.img';

export interface VfsDriverParts {
  settings: VfsSettings;
  /** `<daemon root>/vfs`, for `info`. */
  root: string;
  run: CommandRunner;
  log: Logger;
  lockTiming: VolumeLockTiming;
}

/**
 * Volumes are directories under `vfs.path`; "mounting" one publishes its directory as the
 * mountpoint. Configs, data and snapshots all live on that path, so hosts sharing it over NFS
 * see the same volumes, and every mutation holds a per-volume lock that they all respect.
 */
export class VfsDriver implements VolumeDriver {
  readonly name = 'vfs';
  readonly volumeOptions = VFS_VOLUME_OPTIONS;
  /**
   * A directory on a path that may be an NFS share every node mounts: reachable anywhere, and
   * sizeless (a size asked for is recorded, not enforced).
   */
  readonly traits: DriverTraits = { nodeLocal: false, blockDevice: false, sizeUnit: 1, honoursSize: false };
  readonly snapshots: VfsSnapshots;
  readonly backup: VfsSingleFileBackup;
  private readonly layout: VfsLayout;
  private readonly configs: VolumeConfigs;

  constructor(private readonly parts: VfsDriverParts) {
    this.layout = new VfsLayout(parts.settings.path, `${os.hostname()}\0${parts.root}`);
    this.configs = new VolumeConfigs(this.layout, parts.log, parts.lockTiming);
    this.snapshots = new VfsSnapshots(this.layout, this.configs, parts.run, parts.log);
    this.backup = new VfsSingleFileBackup(this.layout, this.configs, this.snapshots, parts.run, parts.log, { keepSetId: parts.settings.restoreSetId });
  }

  /** Creates the shared directories; the daemon calls it through the definition's factory. */
  async prepare(): Promise<void> {
    await fs.mkdir(this.layout.configDir, { recursive: true });
    await fs.mkdir(this.layout.snapshotsDir, { recursive: true });
    await fs.mkdir(this.layout.tmpDir, { recursive: true });
    await this.removeOwnLeftovers();
  }

  /**
   * Restores, snapshot copies and trash this daemon left in the temp area when it was killed:
   * at start nothing of ours is running (the root lock says so), so all of it is garbage.
   * Other daemons' entries (another host on the same NFS path) are theirs to clear.
   */
  private async removeOwnLeftovers(): Promise<void> {
    const leftovers = (await fs.readdir(this.layout.tmpDir)).filter((name) => this.layout.isOwnTemp(name));
    for (const name of leftovers) await fs.rm(path.join(this.layout.tmpDir, name), { recursive: true, force: true });
    if (leftovers.length > 0)
      this.parts.log.warn('removed what an interrupted restore, snapshot or delete left behind', { dir: this.layout.tmpDir, removed: leftovers });
  }

  async info(): Promise<Record<string, unknown>> {
    return {
      Driver: this.name,
      Root: this.parts.root,
      Path: this.layout.base,
      ConfigPath: this.layout.configDir,
      SnapshotPath: this.layout.snapshotsDir,
      DefaultVolumeSize: this.parts.settings.defaultVolumeSize,
      SnapshotCopy: 'cp -a --reflink=auto (a reflink where the filesystem can clone, else a full copy)',
    };
  }

  /**
   * Creates the config, and the directory unless it already exists: an existing directory is
   * adopted as it is, as Convoy did, which is how data already on a share becomes a volume. Data
   * found there is never a surprise: the log warns, and the answer's driverInfo.ReusedData names it.
   */
  async createVolume(req: CreateVolumeRequest): Promise<VolumeRecord> {
    const dataDir = this.layout.dataDir(req.name);
    const forVm = req.options['vm'] === 'true' || req.options['PrepareForVM'] === 'true';
    const size = forVm ? (req.size ?? this.parts.settings.defaultVolumeSize) : 0;
    return this.configs.locked(req.name, async () => {
      if (await this.configs.read(req.name)) throw new ConvoyError('ALREADY_EXISTS', `volume ${req.name} already exists`, { details: { volume: req.name } });
      if (forVm) await this.checkImageFits(req.name, size);
      const reused = await this.adoptOrCreateDirectory(req.name, dataDir);
      const config: VfsVolumeConfig = {
        Name: req.name,
        Size: size,
        Path: dataDir,
        MountPoint: '',
        PrepareForVM: forVm,
        CreatedTime: nowAsConfigTime(),
        Snapshots: {},
      };
      await this.configs.write(config);
      this.parts.log.info('vfs volume created', { volume: req.name, path: dataDir });
      const record = toVolumeRecord(config, dataDir);
      // Said in this answer only (the CLI prints it): the config keeps no such fact.
      return reused ? { ...record, driverInfo: { ...record.driverInfo, ReusedData: dataDir } } : record;
    });
  }

  /**
   * A vm volume's disk image is created at first mount; whether the filesystem can hold a file
   * that large is checked now, with a sparse probe file of the same size, so an impossible size
   * is refused at create and leaves nothing behind.
   */
  private async checkImageFits(volume: string, size: number): Promise<void> {
    const probe = this.layout.tempPath(`size-probe-${volume}`);
    const fh = await fs.open(probe, 'wx', 0o600);
    try {
      await fh.truncate(size);
    } catch (err) {
      throw tooBigForFilesystem(err, size, this.layout.base);
    } finally {
      await fh.close();
      await fs.rm(probe, { force: true });
    }
  }

  /**
   * Refuses while mounted. The config goes first, so the volume disappears at once; unless
   * only the reference is dropped, its data and snapshot copies are then removed. A reference
   * delete keeps both on the share (see README).
   */
  async deleteVolume(req: DeleteVolumeRequest): Promise<void> {
    await this.configs.locked(req.name, async () => {
      const config = await this.configs.require(req.name);
      if (config.MountPoint) {
        throw new ConvoyError('BUSY', `volume ${req.name} is mounted at ${config.MountPoint}; unmount it before deleting it`, {
          details: { volume: req.name },
        });
      }
      await this.configs.remove(req.name);
      if (!req.referenceOnly) {
        await discardDirectory(this.layout, this.layout.dataDir(req.name));
        await discardDirectory(this.layout, this.layout.volumeSnapshotsDir(req.name));
      }
      this.parts.log.info('vfs volume deleted', { volume: req.name, referenceOnly: req.referenceOnly });
    });
  }

  async mountVolume(name: string, opts: { mountpoint?: string }): Promise<string> {
    const dataDir = this.layout.dataDir(name);
    if (opts.mountpoint !== undefined && opts.mountpoint !== dataDir) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `the vfs driver cannot mount at a chosen mountpoint (${opts.mountpoint}); volume ${name} is always at ${dataDir}`,
      );
    }
    return this.configs.locked(name, async () => {
      const config = await this.configs.require(name);
      const stats = await fs.lstat(dataDir).catch(() => undefined);
      if (!stats?.isDirectory()) {
        throw new ConvoyError(
          'STATE_ERROR',
          `the data directory of volume ${name} (${dataDir}) is missing or not a directory; restore it or delete the volume`,
        );
      }
      if (config.PrepareForVM) await ensureDiskImage(path.join(dataDir, VM_DISK_IMAGE), config.Size);
      if (config.MountPoint !== dataDir) {
        await this.configs.write({ ...config, MountPoint: dataDir });
        this.parts.log.info('vfs volume mounted', { volume: name, mountpoint: dataDir });
      }
      return dataDir;
    });
  }

  async umountVolume(name: string): Promise<void> {
    await this.configs.locked(name, async () => {
      const config = await this.configs.require(name);
      if (!config.MountPoint) return;
      await this.configs.write({ ...config, MountPoint: '' });
      this.parts.log.info('vfs volume unmounted', { volume: name });
    });
  }

  async getVolume(name: string): Promise<VolumeRecord | undefined> {
    const config = await this.configs.read(name);
    return config && toVolumeRecord(config, this.layout.dataDir(name));
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return (await this.configs.all()).map((config) => toVolumeRecord(config, this.layout.dataDir(config.Name)));
  }

  /** Whether the volume starts with data that was already there (kept by a reference delete, or put there by hand). */
  private async adoptOrCreateDirectory(volume: string, dataDir: string): Promise<boolean> {
    try {
      await fs.mkdir(dataDir, { mode: 0o755 });
      return false;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const stats = await fs.lstat(dataDir);
    if (!stats.isDirectory()) {
      throw new ConvoyError(
        'ALREADY_EXISTS',
        `${dataDir} exists and is not a directory (${stats.isSymbolicLink() ? 'a symlink' : 'a file'}); it cannot become a volume`,
      );
    }
    const reused = (await fs.readdir(dataDir)).length > 0;
    if (reused) {
      this.parts.log.warn(
        'the new volume reuses the data already in its directory (kept by an earlier reference-only delete such as docker volume rm, or put there by hand)',
        {
          volume,
          path: dataDir,
          hint: `delete the volume (not by reference) to start empty: convoy delete ${volume}`,
        },
      );
    } else {
      this.parts.log.info('adopting an existing empty directory as a vfs volume', { volume, path: dataDir });
    }
    return reused;
  }
}

/**
 * A sparse file of `size` bytes, created once; an existing image is never resized or replaced.
 * One that cannot be sized is removed again, so the next mount does not find a 0-byte image.
 */
async function ensureDiskImage(file: string, size: number): Promise<void> {
  if (await exists(file)) return;
  const fh = await fs.open(file, 'wx', 0o644);
  try {
    await fh.truncate(size);
    await fh.sync();
  } catch (err) {
    await fs.rm(file, { force: true });
    throw tooBigForFilesystem(err, size, path.dirname(file));
  } finally {
    await fh.close();
  }
}

function tooBigForFilesystem(err: unknown, size: number, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EFBIG' && code !== 'EINVAL') return err;
  return new ConvoyError(
    'INVALID_ARGUMENT',
    `a disk image of ${size} bytes does not fit in one file on the filesystem of ${dir} (${code}); choose a smaller --size`,
    {
      cause: err,
      details: { size, dir },
    },
  );
}
