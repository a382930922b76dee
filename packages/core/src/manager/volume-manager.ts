import { ConvoyError, isConvoyError, toConvoyError } from '../errors.js';
import { generateName, validateName } from '../names.js';
import type { CreateVolumeRequest, Logger, Options, SnapshotOps, VolumeDriver } from '../driver.js';
import type { BackupSummary, CompressionMethod, ProgressListener, SnapshotRecord, VolumeRecord } from '../model.js';
import type { ObjectStoreRegistry } from '../registry.js';
import type { ObjectStore } from '../objectstore.js';
import type { BackupEngine, PruneReport } from '../backup/types.js';
import { parseBackupUrl, parseStoreUrl, type BackupLocation } from '../backup/url.js';
import type { BackupStoreParams, CreateBackupRequest, CreateVolumeParams, DaemonInfo, StartupProblem, VolumeService } from './types.js';
import { KeyedMutex } from './keyed-mutex.js';
import { VolumeIndex } from './volume-index.js';
import { validateEndpoint, withBackupStore } from './open-store.js';

export interface VolumeManagerOptions {
  /** The enabled drivers; the first is the default for creates that name none. */
  drivers: readonly VolumeDriver[];
  stores: ObjectStoreRegistry;
  /** Every `--store-opts` pair (`s3.pageSize=500`); each store is opened with its scheme's keys. */
  storeOptions?: Options;
  engine: BackupEngine;
  /** Who this daemon is in backup-store locks: hostname and pid. */
  owner: string;
  log: Logger;
  /** Shown by `info`. */
  daemon?: { version: string; root: string; config: Record<string, unknown> };
}

const COMPRESSION_METHODS: readonly CompressionMethod[] = ['lz4', 'zstd', 'gzip', 'none'];

/**
 * The heart of the daemon: validates every name and argument before a driver sees it, keeps
 * volume and snapshot names unique across drivers, routes each call to the driver owning the
 * volume, and runs mutations of one volume one at a time.
 *
 * Locking: every volume has a state key (create, delete, mount, umount, snapshot create and
 * delete) and a backup key (create, delete, snapshot delete, backup, restore). A backup holds
 * only the backup key while it streams, so a long backup never blocks Docker mounting or
 * unmounting the volume, yet a delete of the volume or of the snapshot being read waits for it.
 */
export class VolumeManager implements VolumeService {
  private readonly drivers: ReadonlyMap<string, VolumeDriver>;
  private readonly defaultDriver: VolumeDriver;
  private readonly index = new VolumeIndex();
  private readonly locks = new KeyedMutex();
  private readonly problems: StartupProblem[] = [];
  private closed = false;

  constructor(private readonly opts: VolumeManagerOptions) {
    const first = opts.drivers[0];
    if (!first) throw new ConvoyError('INVALID_ARGUMENT', 'at least one driver must be enabled');
    const byName = new Map<string, VolumeDriver>();
    for (const driver of opts.drivers) {
      if (byName.has(driver.name)) throw new ConvoyError('INVALID_ARGUMENT', `driver ${driver.name} is enabled twice`);
      byName.set(driver.name, driver);
    }
    this.drivers = byName;
    this.defaultDriver = first;
  }

  /**
   * Builds the indexes from every driver's listing. A driver whose listing fails is logged and
   * reported, and the other drivers' volumes stay visible (Convoy stopped at the first error).
   * Returns the problems found; `info()` keeps reporting them.
   */
  async open(): Promise<StartupProblem[]> {
    const found = await this.refreshIndex();
    this.problems.splice(0, this.problems.length, ...found);
    for (const problem of found) this.opts.log.error('startup problem', { ...problem });
    return found;
  }

  async info(): Promise<DaemonInfo> {
    const driverInfo: Record<string, Record<string, unknown>> = {};
    await Promise.all(
      [...this.drivers.values()].map(async (driver) => {
        try {
          driverInfo[driver.name] = await driver.info();
        } catch (err) {
          driverInfo[driver.name] = { error: toConvoyError(err).toJSON() };
        }
      }),
    );
    return {
      version: this.opts.daemon?.version ?? 'unknown',
      root: this.opts.daemon?.root ?? '',
      drivers: [...this.drivers.keys()],
      defaultDriver: this.defaultDriver.name,
      driverInfo,
      config: this.opts.daemon?.config ?? {},
      problems: [...this.problems],
    };
  }

  createVolume(params: CreateVolumeParams, onProgress?: ProgressListener): Promise<VolumeRecord> {
    return this.guard(async () => {
      const name = params.name === undefined ? generateName('volume') : validateName(params.name, 'volume');
      const driver = this.enabledDriver(params.driver);
      const size = validateSize(params.size);
      const options = validateOptions(params.options);
      const endpoint = validateEndpoint(params.endpoint);
      const backup = params.backupUrl === undefined ? undefined : parseBackupUrl(params.backupUrl);
      if (endpoint !== undefined && !backup) throw new ConvoyError('INVALID_ARGUMENT', 'an S3 endpoint only makes sense with a backup URL to restore');
      if (backup) parseStoreUrl(backup.storeUrl);
      const release = this.index.reserve(name, 'volume');
      try {
        return await this.locks.run(this.allKeys(name), async () => {
          await this.refuseNameUsedByAnyDriver(name);
          const request: CreateVolumeRequest = { name, ...(size === undefined ? {} : { size }), options };
          const record = backup ? await this.restore(driver, backup, endpoint, request, onProgress) : await driver.createVolume(request);
          this.index.addVolume(record, driver.name);
          this.opts.log.info('volume created', { volume: name, driver: driver.name, restoredFrom: params.backupUrl });
          return withDriver(record, driver.name);
        });
      } finally {
        release();
      }
    });
  }

  /**
   * Restores a backup as the new volume. A missing backup, or one made by another driver
   * (Convoy refused cross-driver restores too), is refused by reading its record first, before
   * the engine takes the store's lock, so bad input leaves the store untouched.
   */
  private restore(
    driver: VolumeDriver,
    backup: BackupLocation,
    endpoint: string | undefined,
    request: CreateVolumeRequest,
    onProgress: ProgressListener | undefined,
  ): Promise<VolumeRecord> {
    const ops = this.backupOps(driver);
    return this.withStore(backup.storeUrl, endpoint, async (store) => {
      const summary = await this.opts.engine.inspectBackup({ store, destUrl: backup.storeUrl, backupName: backup.backupName, volumeName: backup.volumeName });
      if (summary.driver && summary.driver !== driver.name) {
        throw new ConvoyError(
          'INVALID_ARGUMENT',
          `backup ${backup.backupName} of volume ${backup.volumeName} was made by driver ${summary.driver}; restore it with --driver ${summary.driver}, not ${driver.name}`,
        );
      }
      return this.opts.engine.restoreBackup({
        store,
        backupName: backup.backupName,
        volumeName: backup.volumeName,
        driverName: driver.name,
        ops,
        request,
        owner: this.opts.owner,
        ...(onProgress ? { onProgress } : {}),
      });
    });
  }

  deleteVolume(name: string, opts: { referenceOnly: boolean }): Promise<void> {
    return this.guard(async () => {
      validateName(name, 'volume');
      if (typeof opts?.referenceOnly !== 'boolean') throw new ConvoyError('INVALID_ARGUMENT', 'referenceOnly must be true or false');
      await this.locks.run(this.allKeys(name), async () => {
        const driver = await this.locate(name);
        await this.forgetIfMissing(name, () => driver.deleteVolume({ name, referenceOnly: opts.referenceOnly }));
        this.index.removeVolume(name);
        this.opts.log.info('volume deleted', { volume: name, driver: driver.name, referenceOnly: opts.referenceOnly });
      });
    });
  }

  mountVolume(name: string, opts: { mountpoint?: string } = {}): Promise<string> {
    return this.guard(async () => {
      validateName(name, 'volume');
      const mountpoint = validateMountpoint(opts.mountpoint);
      return this.locks.run(this.stateKey(name), async () => {
        const driver = await this.locate(name);
        const path = await this.forgetIfMissing(name, () => driver.mountVolume(name, mountpoint === undefined ? {} : { mountpoint }));
        this.opts.log.info('volume mounted', { volume: name, mountpoint: path });
        return path;
      });
    });
  }

  umountVolume(name: string): Promise<void> {
    return this.guard(async () => {
      validateName(name, 'volume');
      await this.locks.run(this.stateKey(name), async () => {
        const driver = await this.locate(name);
        await this.forgetIfMissing(name, () => driver.umountVolume(name));
        this.opts.log.info('volume unmounted', { volume: name });
      });
    });
  }

  /**
   * Grows a volume, serialised with its other state changes (mount, umount, snapshot), so the
   * driver sees one mount state while it grows the filesystem. Refused unchanged: a size that is
   * not a positive whole number of bytes, a driver without resize, and any shrink (no driver
   * may be asked to throw data away).
   */
  resizeVolume(name: string, size: number): Promise<VolumeRecord> {
    return this.guard(async () => {
      validateName(name, 'volume');
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
        throw new ConvoyError('INVALID_ARGUMENT', `the new size of volume ${name} must be a whole number of bytes above 0, not ${JSON.stringify(size)}`);
      }
      return this.locks.run(this.stateKey(name), async () => {
        const driver = await this.locate(name);
        const resize = driver.resizeVolume?.bind(driver);
        if (!resize) throw new ConvoyError('NOT_SUPPORTED', `driver ${driver.name} does not support resizing volumes`, { details: { driver: driver.name } });
        const current = await driver.getVolume(name);
        if (!current) throw volumeNotFound(name);
        if (size < current.size) {
          throw new ConvoyError('INVALID_ARGUMENT', `volume ${name} is ${current.size} bytes; shrinking it to ${size} is not supported (volumes only grow)`, {
            details: { volume: name, size: current.size, requested: size },
          });
        }
        const record = await this.forgetIfMissing(name, () => resize(name, size));
        this.opts.log.info('volume resized', { volume: name, driver: driver.name, from: current.size, to: record.size });
        return withDriver(record, driver.name);
      });
    });
  }

  getVolume(name: string): Promise<VolumeRecord> {
    return this.guard(async () => {
      validateName(name, 'volume');
      const driver = await this.locate(name);
      const record = await driver.getVolume(name);
      if (!record) {
        this.index.removeVolume(name);
        throw volumeNotFound(name);
      }
      this.index.merge(driver.name, [record]);
      return withDriver(record, driver.name);
    });
  }

  async findVolume(name: string): Promise<VolumeRecord | undefined> {
    try {
      return await this.getVolume(name);
    } catch (err) {
      if (isConvoyError(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  listVolumes(): Promise<VolumeRecord[]> {
    return this.guard(async () => {
      const listings = await this.listAll();
      const volumes: VolumeRecord[] = [];
      for (const { driver, records } of listings) {
        this.index.merge(driver.name, records);
        for (const record of records) volumes.push(withDriver(record, driver.name));
      }
      return volumes.sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  createSnapshot(volumeName: string, snapshotName?: string): Promise<SnapshotRecord> {
    return this.guard(async () => {
      validateName(volumeName, 'volume');
      const name = snapshotName === undefined ? generateName('snapshot') : validateName(snapshotName, 'snapshot');
      const release = this.index.reserve(name, 'snapshot');
      try {
        return await this.locks.run(this.stateKey(volumeName), async () => {
          const driver = await this.locate(volumeName);
          const ops = this.snapshotOps(driver);
          await this.refuseNameUsedByAnyDriver(name);
          const record = await this.forgetIfMissing(volumeName, () => ops.createSnapshot(volumeName, name));
          this.index.addSnapshot(record.name, volumeName);
          this.opts.log.info('snapshot created', { volume: volumeName, snapshot: name });
          return record;
        });
      } finally {
        release();
      }
    });
  }

  deleteSnapshot(snapshotName: string): Promise<void> {
    return this.guard(async () => {
      validateName(snapshotName, 'snapshot');
      const volumeName = await this.locateSnapshot(snapshotName);
      await this.locks.run(this.allKeys(volumeName), async () => {
        const driver = await this.locate(volumeName);
        const ops = this.snapshotOps(driver);
        try {
          await ops.deleteSnapshot(volumeName, snapshotName);
        } catch (err) {
          if (isConvoyError(err, 'NOT_FOUND')) this.index.removeSnapshot(snapshotName);
          throw err;
        }
        this.index.removeSnapshot(snapshotName);
        this.opts.log.info('snapshot deleted', { volume: volumeName, snapshot: snapshotName });
      });
    });
  }

  getSnapshot(snapshotName: string): Promise<SnapshotRecord> {
    return this.guard(async () => {
      validateName(snapshotName, 'snapshot');
      const volumeName = await this.locateSnapshot(snapshotName);
      const { record } = await this.readSnapshot(volumeName, snapshotName);
      return record;
    });
  }

  createBackup(req: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSummary> {
    return this.guard(async () => {
      validateName(req.snapshot, 'snapshot');
      if (typeof req.dest !== 'string' || req.dest === '') throw new ConvoyError('INVALID_ARGUMENT', 'a backup destination URL is required (--dest)');
      parseStoreUrl(req.dest);
      const endpoint = validateEndpoint(req.endpoint);
      if (req.compression !== undefined && !COMPRESSION_METHODS.includes(req.compression)) {
        throw new ConvoyError('INVALID_ARGUMENT', `unknown compression ${JSON.stringify(req.compression)}; use ${COMPRESSION_METHODS.join(', ')}`);
      }
      const volumeName = await this.locateSnapshot(req.snapshot);
      return this.locks.run(this.backupKey(volumeName), async () => {
        const { driver, record: snapshot } = await this.readSnapshot(volumeName, req.snapshot);
        const ops = this.backupOps(driver);
        const volume = await driver.getVolume(volumeName);
        if (!volume) throw volumeNotFound(volumeName);
        const summary = await this.withStore(req.dest, endpoint, (store) =>
            this.opts.engine.createBackup({
              store,
              destUrl: req.dest,
              driverName: driver.name,
              volume: withDriver(volume, driver.name),
              snapshot,
              ops,
              owner: this.opts.owner,
              ...(req.compression ? { compression: req.compression } : {}),
              ...(req.blockSize !== undefined ? { blockSize: req.blockSize } : {}),
              ...(onProgress ? { onProgress } : {}),
            }),
        );
        this.opts.log.info('backup created', { volume: volumeName, snapshot: req.snapshot, url: summary.url });
        return summary;
      });
    });
  }

  deleteBackup(url: string, params: BackupStoreParams = {}): Promise<void> {
    return this.guard(async () => {
      const location = parseBackupUrl(requireString(url, 'backup URL'));
      const endpoint = validateEndpoint(params.endpoint);
      await this.withStore(location.storeUrl, endpoint, (store) =>
        this.opts.engine.deleteBackup({ store, destUrl: location.storeUrl, backupName: location.backupName, volumeName: location.volumeName, owner: this.opts.owner }),
      );
      this.opts.log.info('backup deleted', { url });
    });
  }

  listBackups(dest: string, params: BackupStoreParams & { volumeName?: string } = {}): Promise<BackupSummary[]> {
    return this.guard(async () => {
      const storeUrl = requireString(dest, 'backup destination URL');
      parseStoreUrl(storeUrl);
      const endpoint = validateEndpoint(params.endpoint);
      const volumeName = params.volumeName === undefined ? undefined : validateName(params.volumeName, 'volume');
      return this.withStore(storeUrl, endpoint, (store) =>
        this.opts.engine.listBackups({ store, destUrl: storeUrl, ...(volumeName === undefined ? {} : { volumeName }) }),
      );
    });
  }

  inspectBackup(url: string, params: BackupStoreParams = {}): Promise<BackupSummary> {
    return this.guard(async () => {
      const location = parseBackupUrl(requireString(url, 'backup URL'));
      const endpoint = validateEndpoint(params.endpoint);
      return this.withStore(location.storeUrl, endpoint, (store) =>
        this.opts.engine.inspectBackup({ store, destUrl: location.storeUrl, backupName: location.backupName, volumeName: location.volumeName }),
      );
    });
  }

  pruneBackups(dest: string, params: BackupStoreParams & { graceSeconds?: number } = {}): Promise<PruneReport> {
    return this.guard(async () => {
      const storeUrl = requireString(dest, 'backup destination URL');
      parseStoreUrl(storeUrl);
      const endpoint = validateEndpoint(params.endpoint);
      const grace = params.graceSeconds;
      if (grace !== undefined && !(Number.isFinite(grace) && grace >= 0)) {
        throw new ConvoyError('INVALID_ARGUMENT', `grace period must be a number of seconds ≥ 0, not ${JSON.stringify(grace)}`);
      }
      return this.withStore(storeUrl, endpoint, (store) =>
        this.opts.engine.prune({ store, owner: this.opts.owner, ...(grace === undefined ? {} : { graceMs: grace * 1000 }) }),
      );
    });
  }

  /** Refuses new work, waits for running operations, then closes every driver. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.locks.drain();
    for (const driver of this.drivers.values()) {
      try {
        await driver.close?.();
      } catch (err) {
        this.opts.log.error('closing a driver failed', { driver: driver.name, err });
      }
    }
  }

  // ---- routing -------------------------------------------------------------------------

  /**
   * The driver that owns `name`: from the index, else by asking every driver (a volume may
   * have appeared on a shared vfs path since start-up). NOT_FOUND when none has it.
   */
  private async locate(name: string): Promise<VolumeDriver> {
    const conflict = this.index.conflictOf(name);
    if (conflict) throw this.index.recordConflict(name, conflict);
    const known = this.index.driverOf(name);
    const knownDriver = known === undefined ? undefined : this.drivers.get(known);
    if (knownDriver) return knownDriver;
    const owners = await this.driversHaving(name);
    const [only, ...others] = owners;
    if (!only) throw volumeNotFound(name);
    if (others.length > 0) throw this.index.recordConflict(name, owners.map((o) => o.driver.name));
    this.index.merge(only.driver.name, [only.record]);
    return only.driver;
  }

  /** The volume owning snapshot `name`, rescanning the drivers once when the index lacks it. */
  private async locateSnapshot(name: string): Promise<string> {
    const known = this.index.volumeOf(name);
    if (known !== undefined) return known;
    await this.refreshIndex();
    const found = this.index.volumeOf(name);
    if (found === undefined) throw new ConvoyError('NOT_FOUND', `snapshot ${name} does not exist`, { details: { snapshot: name } });
    return found;
  }

  private async readSnapshot(volumeName: string, snapshotName: string): Promise<{ driver: VolumeDriver; record: SnapshotRecord }> {
    const driver = await this.locate(volumeName);
    const record = await this.snapshotOps(driver).getSnapshot(volumeName, snapshotName);
    if (!record) {
      this.index.removeSnapshot(snapshotName);
      throw new ConvoyError('NOT_FOUND', `snapshot ${snapshotName} does not exist`, { details: { snapshot: snapshotName } });
    }
    return { driver, record };
  }

  private async driversHaving(name: string): Promise<Array<{ driver: VolumeDriver; record: VolumeRecord }>> {
    const answers = await Promise.all(
      [...this.drivers.values()].map(async (driver) => {
        try {
          const record = await driver.getVolume(name);
          return record ? { driver, record } : undefined;
        } catch (err) {
          this.opts.log.warn('a driver failed to answer whether it has a volume', { driver: driver.name, volume: name, err });
          return undefined;
        }
      }),
    );
    return answers.filter((a): a is { driver: VolumeDriver; record: VolumeRecord } => a !== undefined);
  }

  /** Volume names must be unique across drivers, and snapshot names may not equal one. */
  private async refuseNameUsedByAnyDriver(name: string): Promise<void> {
    const owners = await this.driversHaving(name);
    if (owners.length > 0) {
      for (const { driver, record } of owners) this.index.merge(driver.name, [record]);
      throw new ConvoyError('ALREADY_EXISTS', `a volume named ${name} already exists (driver ${owners.map((o) => o.driver.name).join(', ')})`, {
        details: { name },
      });
    }
  }

  private async listAll(): Promise<Array<{ driver: VolumeDriver; records: VolumeRecord[] }>> {
    const results = await Promise.all(
      [...this.drivers.values()].map(async (driver) => {
        try {
          return { driver, records: await driver.listVolumes() };
        } catch (err) {
          this.opts.log.error('a driver failed to list its volumes; its volumes are missing from the answer', { driver: driver.name, err });
          return { driver, error: toConvoyError(err) };
        }
      }),
    );
    return results.filter((r): r is { driver: VolumeDriver; records: VolumeRecord[] } => 'records' in r);
  }

  private async refreshIndex(): Promise<StartupProblem[]> {
    const problems: StartupProblem[] = [];
    await Promise.all(
      [...this.drivers.values()].map(async (driver) => {
        try {
          const records = await driver.listVolumes();
          for (const err of this.index.merge(driver.name, records)) problems.push({ driver: driver.name, code: err.code, message: err.message });
        } catch (err) {
          const error = toConvoyError(err);
          problems.push({ driver: driver.name, code: error.code, message: `driver ${driver.name} could not list its volumes: ${error.message}` });
        }
      }),
    );
    return problems;
  }

  /** When a driver says the volume is gone (another host deleted it), drop it from the index. */
  private async forgetIfMissing<T>(name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      if (isConvoyError(err, 'NOT_FOUND') && !(await this.stillExists(name))) this.index.removeVolume(name);
      throw err;
    }
  }

  private async stillExists(name: string): Promise<boolean> {
    const driver = this.drivers.get(this.index.driverOf(name) ?? '');
    return driver ? (await driver.getVolume(name).catch(() => undefined)) !== undefined : false;
  }

  private enabledDriver(name: unknown): VolumeDriver {
    if (name === undefined || name === '') return this.defaultDriver;
    const driver = typeof name === 'string' ? this.drivers.get(name) : undefined;
    if (!driver) {
      throw new ConvoyError('UNKNOWN_DRIVER', `driver ${JSON.stringify(name)} is not enabled; enabled drivers: ${[...this.drivers.keys()].join(', ')}`, {
        details: { driver: name },
      });
    }
    return driver;
  }

  private snapshotOps(driver: VolumeDriver): SnapshotOps {
    if (!driver.snapshots) throw new ConvoyError('NOT_SUPPORTED', `driver ${driver.name} does not support snapshots`);
    return driver.snapshots;
  }

  private backupOps(driver: VolumeDriver): NonNullable<VolumeDriver['backup']> {
    if (!driver.backup) throw new ConvoyError('NOT_SUPPORTED', `driver ${driver.name} does not support backups`);
    return driver.backup;
  }

  private withStore<T>(storeUrl: string, endpoint: string | undefined, use: (store: ObjectStore) => Promise<T>): Promise<T> {
    return withBackupStore(this.opts.stores, storeUrl, { endpoint, storeOptions: this.opts.storeOptions ?? {} }, use, (err) =>
      this.opts.log.warn('closing the backup store failed', { err }),
    );
  }

  private stateKey(volume: string): string {
    return `state:${volume}`;
  }

  private backupKey(volume: string): string {
    return `backup:${volume}`;
  }

  private allKeys(volume: string): string[] {
    return [this.backupKey(volume), this.stateKey(volume)];
  }

  /**
   * Every public method: refuse after close, and let only ConvoyErrors out. A system error
   * from a driver (EACCES, ENOSPC, EIO) is local state that cannot be read or written, not a bug.
   */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ConvoyError('BUSY', 'the volume manager is shutting down');
    try {
      return await work();
    } catch (err) {
      throw toConvoyError(err, typeof (err as NodeJS.ErrnoException | undefined)?.code === 'string' ? 'STATE_ERROR' : 'INTERNAL');
    }
  }
}

function withDriver(record: VolumeRecord, driver: string): VolumeRecord {
  return { ...record, driver };
}

function volumeNotFound(name: string): ConvoyError {
  return new ConvoyError('NOT_FOUND', `volume ${name} does not exist`, { details: { volume: name } });
}

function validateSize(size: unknown): number | undefined {
  if (size === undefined || size === 0) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ConvoyError('INVALID_ARGUMENT', `volume size must be a whole number of bytes, not ${JSON.stringify(size)}`);
  }
  return size;
}

function validateOptions(options: unknown): Options {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new ConvoyError('INVALID_ARGUMENT', 'volume options must be key=value pairs');
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== 'string') throw new ConvoyError('INVALID_ARGUMENT', `option ${key} must be a string, not ${JSON.stringify(value)}`);
  }
  return { ...(options as Options) };
}

function validateMountpoint(mountpoint: unknown): string | undefined {
  if (mountpoint === undefined || mountpoint === '') return undefined;
  if (typeof mountpoint !== 'string' || !mountpoint.startsWith('/') || mountpoint.includes('\0')) {
    throw new ConvoyError('INVALID_ARGUMENT', `mountpoint must be an absolute path, not ${JSON.stringify(mountpoint)}`);
  }
  return mountpoint;
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConvoyError('INVALID_ARGUMENT', `a ${what} is required`);
  return value;
}
