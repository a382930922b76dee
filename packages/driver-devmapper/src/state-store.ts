import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConvoyError, isValidName, KeyedMutex, readJsonFile, removeFileDurably, writeJsonAtomic } from '@convoy/core';

/** What the pool was created with; `lastDevId` only grows, so thin device ids are never reused. */
export interface PoolConfig {
  version: 1;
  poolName: string;
  dataDevice: string;
  metadataDevice: string;
  /** Length of the pool table, in 512-byte sectors. */
  dataSectors: number;
  blockSizeSectors: number;
  lastDevId: number;
  createdAt: string;
}

export interface SnapshotState {
  devId: number;
  /** The volume's size when the snapshot was cut (a later grow does not change it). */
  size: number;
  createdAt: string;
}

export interface VolumeState {
  name: string;
  devId: number;
  size: number;
  /** Filesystem on the device; absent when a restored image holds none that blkid knows. */
  fs?: string;
  createdAt: string;
  /** Where it is mounted; kept across restarts so the driver mounts it there again. */
  mountpoint?: string;
  /** The device was grown while unmounted: grow the filesystem at the next mount. */
  fsGrowPending?: boolean;
  /** Set by a reference-only delete: hidden from listings, its data kept until it is created again. */
  retainedAt?: string;
  snapshots: Record<string, SnapshotState>;
}

const CONFIG_FILE = 'pool.json';

/**
 * The driver's durable state under its root: `pool.json` and one `volumes/<name>.json` per
 * volume, each replaced atomically. Volumes are cached in memory; this process is the only writer
 * (the daemon holds the root lock).
 */
export class StateStore {
  private readonly volumes = new Map<string, VolumeState>();
  private config: PoolConfig | undefined;
  /** pool.json is read, changed and replaced by one writer at a time. */
  private readonly configWrites = new KeyedMutex();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<StateStore> {
    const store = new StateStore(root);
    await mkdir(store.volumeDir, { recursive: true });
    store.config = await readJsonFile<PoolConfig>(path.join(root, CONFIG_FILE));
    for (const file of await readdir(store.volumeDir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const name = file.slice(0, -'.json'.length);
      const volume = await readJsonFile<VolumeState>(path.join(store.volumeDir, file));
      if (!volume || volume.name !== name || !isValidName(name)) {
        throw new ConvoyError('STATE_ERROR', `volume state file ${path.join(store.volumeDir, file)} does not describe volume ${JSON.stringify(name)}`);
      }
      store.volumes.set(name, volume);
    }
    return store;
  }

  private get volumeDir(): string {
    return path.join(this.root, 'volumes');
  }

  get poolConfig(): PoolConfig | undefined {
    return this.config;
  }

  async savePoolConfig(config: PoolConfig): Promise<void> {
    await this.configWrites.run(CONFIG_FILE, () => this.writeConfig(config));
  }

  private async writeConfig(config: PoolConfig): Promise<void> {
    await writeJsonAtomic(path.join(this.root, CONFIG_FILE), config);
    this.config = structuredClone(config);
  }

  /**
   * Takes the next thin device id and makes it durable before returning it, so a crash after
   * the kernel used it can never hand it out again.
   */
  allocateDevId(): Promise<number> {
    return this.updateConfig((config) => ({ ...config, lastDevId: config.lastDevId + 1 })).then((config) => config.lastDevId);
  }

  /** Recovery found ids up to `devId` in the pool: never hand any of them out. */
  async raiseLastDevId(devId: number): Promise<void> {
    await this.updateConfig((config) => ({ ...config, lastDevId: Math.max(config.lastDevId, devId) }));
  }

  /** Read-modify-write of pool.json, one at a time. */
  updateConfig(change: (config: PoolConfig) => PoolConfig): Promise<PoolConfig> {
    return this.configWrites.run(CONFIG_FILE, async () => {
      if (!this.config) throw new ConvoyError('INTERNAL', 'pool config changed before the pool was set up');
      const next = change(structuredClone(this.config));
      await this.writeConfig(next);
      return next;
    });
  }

  volume(name: string): VolumeState | undefined {
    const volume = this.volumes.get(name);
    return volume && structuredClone(volume);
  }

  allVolumes(): VolumeState[] {
    return [...this.volumes.values()].map((v) => structuredClone(v)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async saveVolume(volume: VolumeState): Promise<void> {
    await writeJsonAtomic(path.join(this.volumeDir, `${volume.name}.json`), volume);
    this.volumes.set(volume.name, structuredClone(volume));
  }

  async removeVolume(name: string): Promise<void> {
    await removeFileDurably(path.join(this.volumeDir, `${name}.json`));
    this.volumes.delete(name);
  }
}
