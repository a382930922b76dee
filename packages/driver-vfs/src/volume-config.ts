import { promises as fs } from 'node:fs';
import {
  acquireDirectoryLock,
  ConvoyError,
  formatRubyDate,
  isValidName,
  type Logger,
  parseStoreTime,
  readJsonFile,
  removeFileDurably,
  type SnapshotRecord,
  type VolumeRecord,
  writeJsonAtomic,
} from '@convoy/core';
import type { VfsLayout } from './layout.js';

/** A volume config exactly as Convoy's vfs driver wrote it (`vfs_volume_<name>.json`). */
export interface VfsVolumeConfig {
  Name: string;
  /** Bytes; 0 unless the volume was prepared for a VM. */
  Size: number;
  Path: string;
  /** Set while mounted. Shared: a volume mounted by one host is mounted for all. */
  MountPoint: string;
  PrepareForVM: boolean;
  /** Go's RubyDate, as Convoy wrote it. */
  CreatedTime: string;
  Snapshots: Record<string, VfsSnapshotConfig>;
}

export interface VfsSnapshotConfig {
  Name: string;
  CreatedTime: string;
  VolumeUUID: string;
  FilePath: string;
}

export interface VolumeLockTiming {
  /** A lock older than this without a heartbeat, from a host that vanished, is taken over. */
  ttlMs: number;
  /** How long an operation waits for another host's operation on the same volume. */
  waitMs: number;
}

export const DEFAULT_LOCK_TIMING: VolumeLockTiming = { ttlMs: 30_000, waitMs: 60_000 };

export function nowAsConfigTime(): string {
  return formatRubyDate(new Date());
}

/** Volume configs on the shared path, read and written atomically, mutated under a per-volume lock. */
export class VolumeConfigs {
  constructor(
    private readonly layout: VfsLayout,
    private readonly log: Logger,
    private readonly lockTiming: VolumeLockTiming,
  ) {}

  async read(volume: string): Promise<VfsVolumeConfig | undefined> {
    const file = this.layout.configFile(volume);
    const raw = await readJsonFile<unknown>(file);
    return raw === undefined ? undefined : checkConfig(raw, file, volume);
  }

  /** The config, or NOT_FOUND naming the volume. */
  async require(volume: string): Promise<VfsVolumeConfig> {
    const config = await this.read(volume);
    if (!config) throw new ConvoyError('NOT_FOUND', `volume ${volume} does not exist`, { details: { volume } });
    return config;
  }

  write(config: VfsVolumeConfig): Promise<void> {
    return writeJsonAtomic(this.layout.configFile(config.Name), config);
  }

  remove(volume: string): Promise<void> {
    return removeFileDurably(this.layout.configFile(volume));
  }

  /**
   * Every readable config. One that cannot be read is logged and left out, so a single damaged
   * file never hides the other volumes.
   */
  async all(): Promise<VfsVolumeConfig[]> {
    let files: string[];
    try {
      files = await fs.readdir(this.layout.configDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const configs: VfsVolumeConfig[] = [];
    for (const file of files.sort()) {
      const volume = this.layout.volumeOfConfigFile(file);
      if (volume === undefined) continue;
      if (!isValidName(volume)) {
        this.log.warn('ignoring a vfs config whose name is not a valid volume name', { file });
        continue;
      }
      try {
        const config = await this.read(volume);
        if (config) configs.push(config);
      } catch (err) {
        this.log.error('a vfs volume config cannot be read; the volume is left out of the list', { file, err });
      }
    }
    return configs;
  }

  /** Runs `fn` holding the volume's lock, which other hosts on the same path respect too. */
  async locked<T>(volume: string, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireDirectoryLock(this.layout.lockDir(volume), {
      purpose: `vfs volume ${volume}`,
      ...this.lockTiming,
      onLost: (by) => this.log.error('lost the lock of a vfs volume while working on it', { volume, by }),
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }
}

export function toVolumeRecord(config: VfsVolumeConfig, dataDir: string): VolumeRecord {
  return {
    name: config.Name,
    driver: 'vfs',
    size: config.Size,
    createdAt: toIso(config.CreatedTime),
    ...(config.MountPoint ? { mountpoint: config.MountPoint } : {}),
    snapshots: snapshotRecordsOf(config),
    driverInfo: { Path: dataDir, PrepareForVM: config.PrepareForVM },
  };
}

/** Oldest first. */
export function snapshotRecordsOf(config: VfsVolumeConfig): SnapshotRecord[] {
  return Object.values(config.Snapshots)
    .map((s) => toSnapshotRecord(s, config.Name))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

export function toSnapshotRecord(snapshot: VfsSnapshotConfig, volume: string): SnapshotRecord {
  return { name: snapshot.Name, volumeName: volume, createdAt: toIso(snapshot.CreatedTime), driverInfo: { FilePath: snapshot.FilePath } };
}

function toIso(configTime: string): string {
  return parseStoreTime(configTime)?.toISOString() ?? configTime;
}

/** Accepts Convoy's configs (which may lack fields) and refuses anything that is not one. */
function checkConfig(raw: unknown, file: string, volume: string): VfsVolumeConfig {
  const value = raw as Partial<VfsVolumeConfig> | null;
  if (typeof value !== 'object' || value === null || value.Name !== volume) {
    throw new ConvoyError(
      'STATE_ERROR',
      `${file} is not the vfs config of volume ${volume} (its Name is ${JSON.stringify((value as { Name?: unknown } | null)?.Name)})`,
    );
  }
  const snapshots: Record<string, VfsSnapshotConfig> = {};
  for (const [name, snap] of Object.entries(value.Snapshots ?? {})) {
    if (!isValidName(name)) throw new ConvoyError('STATE_ERROR', `${file} lists a snapshot with an invalid name ${JSON.stringify(name)}`);
    snapshots[name] = { Name: name, CreatedTime: String(snap?.CreatedTime ?? ''), VolumeUUID: value.Name, FilePath: String(snap?.FilePath ?? '') };
  }
  return {
    Name: value.Name,
    Size: Number.isSafeInteger(value.Size) ? (value.Size as number) : 0,
    Path: String(value.Path ?? ''),
    MountPoint: String(value.MountPoint ?? ''),
    PrepareForVM: value.PrepareForVM === true,
    CreatedTime: String(value.CreatedTime ?? ''),
    Snapshots: snapshots,
  };
}
