import { forgetSnapshots, formatBackupUrl, type SnapshotForgetReport, validateRetentionPolicy } from '@convoy/backup-store';
import type {
  BackupSummary,
  CreateSnapshotOptions,
  CreateVolumeRequest,
  OptionSpec,
  Options,
  ProgressListener,
  SnapshotOps,
  SnapshotQuiescer,
  SnapshotRecord,
  StandbyState,
  StandbySyncResult,
  VolumeDriver,
  VolumeRecord,
} from '@convoy/core';
import {
  ConvoyError,
  checkDeclaredOptions,
  checkSize,
  type DriverTraitsView,
  driverTraitsOf,
  generateName,
  isConvoyError,
  KeyedMutex,
  toConvoyError,
  validateName,
} from '@convoy/core';
import { BackupService, type BackupServiceOptions, type RestorePlan } from './backup-service.js';
import { DEFAULT_STOP_GRACE_MS, drainOrCancel } from './drain-or-cancel.js';
import { StandbyRecords } from './standby-records.js';
import {
  backupsMixedIn,
  checkSameSource,
  checkSyncRequest,
  createJournal,
  newestBackup,
  standbyRefusal,
  standbyStatus,
  withoutJournal,
} from './standby-rules.js';
import { settleStandbys } from './standby-startup.js';
import { guardedStoreOperations } from './store-operations.js';
import type {
  ChangedBlockService,
  CreateBackupRequest,
  CreateVolumeParams,
  DaemonInfo,
  ForgetParams,
  SnapshotBlocks,
  StartupProblem,
  StoreOperations,
  SyncStandbyParams,
  VolumeService,
} from './types.js';
import { VolumeIndex } from './volume-index.js';

export interface VolumeManagerOptions extends BackupServiceOptions {
  /** The enabled drivers; the first is the default for creates that name none. */
  drivers: readonly VolumeDriver[];
  /** Shown by `info`; `driverOptions` are each driver's `--driver-opts`, from its definition. */
  daemon?: { version: string; root: string; config: Record<string, unknown>; driverOptions?: Record<string, OptionSpec[]> };
  /** How long close() lets running operations finish before cancelling them (default 10 s). */
  stopGraceMs?: number;
  /** Runs the containers' hooks around a consistent snapshot; without it such a snapshot is only crash-consistent, and says so. */
  quiescer?: SnapshotQuiescer;
  /** Where standby volumes' state is kept (`<root>/standby`); in memory only without it. */
  standbyDir?: string;
}

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
export class VolumeManager implements VolumeService, ChangedBlockService {
  private readonly drivers: ReadonlyMap<string, VolumeDriver>;
  private readonly traits: Record<string, DriverTraitsView> = {};
  private readonly defaultDriver: VolumeDriver;
  private readonly index = new VolumeIndex();
  private readonly locks = new KeyedMutex();
  private readonly problems: StartupProblem[] = [];
  private readonly backups: BackupService;
  private readonly standbys: StandbyRecords;
  /** Standbys whose sync is running now: activating one is refused, not queued behind it. */
  private readonly syncingNow = new Set<string>();
  /** The operations on a backup store alone (no driver, no volume lock), refused once this manager closes. */
  readonly storeOperations: StoreOperations;
  private closed = false;
  /** Aborted by close() once the grace period is over: running backups and restores stop. */
  private readonly cancel = new AbortController();

  constructor(private readonly opts: VolumeManagerOptions) {
    this.backups = new BackupService(opts, this.cancel.signal);
    this.standbys = new StandbyRecords(opts.standbyDir);
    this.storeOperations = guardedStoreOperations(this.backups, (work) => this.guard(work));
    const first = opts.drivers[0];
    if (!first) throw new ConvoyError('INVALID_ARGUMENT', 'at least one driver must be enabled');
    const byName = new Map<string, VolumeDriver>();
    for (const driver of opts.drivers) {
      if (byName.has(driver.name)) throw new ConvoyError('INVALID_ARGUMENT', `driver ${driver.name} is enabled twice`);
      byName.set(driver.name, driver);
      // A driver declaring nonsense traits is refused at start, not at its first volume.
      this.traits[driver.name] = driverTraitsOf(driver);
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
    found.push(...(await settleStandbys(this.standbys, (name) => this.volumeExists(name), this.opts.log)));
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
      driverOptions: Object.fromEntries(
        [...this.drivers.values()].map((driver) => [
          driver.name,
          { daemon: this.opts.daemon?.driverOptions?.[driver.name] ?? [], volume: [...(driver.volumeOptions ?? [])] },
        ]),
      ),
      driverTraits: { ...this.traits },
      config: this.opts.daemon?.config ?? {},
      problems: [...this.problems],
    };
  }

  createVolume(params: CreateVolumeParams, onProgress?: ProgressListener): Promise<VolumeRecord> {
    return this.guard(async () => {
      const name = params.name === undefined ? generateName('volume') : validateName(params.name, 'volume');
      const driver = this.enabledDriver(params.driver);
      const size = validateSize(params.size);
      const options = checkDeclaredOptions(validateOptions(params.options), driver.volumeOptions ?? [], `driver ${driver.name}`);
      if (params.backupUrl === '') {
        // `-o backup=$UNSET`: an empty restore source is a mistake, never "no backup".
        throw new ConvoyError('INVALID_ARGUMENT', 'the backup URL is empty: give the URL of a backup to restore, or leave the option out; nothing was created');
      }
      if (params.backupUrl === undefined && params.endpoint !== undefined && params.endpoint !== '') {
        throw new ConvoyError('INVALID_ARGUMENT', 'an endpoint only makes sense with a backup URL to restore');
      }
      if (params.standby !== undefined && typeof params.standby !== 'boolean') throw new ConvoyError('INVALID_ARGUMENT', 'standby must be true or false');
      if (params.standby && params.backupUrl === undefined) {
        throw new ConvoyError('INVALID_ARGUMENT', 'a standby volume is restored from a backup: give --backup URL with --standby; nothing was created');
      }
      const backup = params.backupUrl === undefined ? undefined : await this.backups.planRestore(params.backupUrl, params);
      const standby = params.standby && backup ? await this.firstStandbyState(backup, params) : undefined;
      const release = this.index.reserve(name, 'volume');
      try {
        return await this.locks.run(this.allKeys(name), async () => {
          await this.refuseNameUsedByAnyDriver(name);
          const request: CreateVolumeRequest = { name, ...(size === undefined ? {} : { size }), options };
          // The journal goes first, so the restored volume is never without its standby record; start-up settles a killed create (standby-startup.ts).
          if (standby) await this.standbys.put(name, createJournal(standby));
          else if (await this.standbys.get(name)) await this.standbys.remove(name);
          let record: VolumeRecord;
          try {
            record = backup ? await this.restore(driver, backup, request, onProgress) : await driver.createVolume(request);
          } catch (err) {
            if (standby) await this.standbys.remove(name);
            throw err;
          }
          if (standby) await this.standbys.put(name, { ...standby, syncedAt: new Date().toISOString() });
          this.index.addVolume(record, driver.name);
          this.opts.log.info('volume created', { volume: name, driver: driver.name, restoredFrom: params.backupUrl, ...(standby ? { standby: true } : {}) });
          return this.withStandby(withDriver(record, driver.name));
        });
      } finally {
        release();
      }
    });
  }

  /** Restores a backup as the new volume, in the driver the user chose. */
  private restore(driver: VolumeDriver, backup: RestorePlan, request: CreateVolumeRequest, onProgress: ProgressListener | undefined): Promise<VolumeRecord> {
    return this.backups.restore(backup, driver.name, this.backupOps(driver), request, onProgress);
  }

  /** What a new standby records of the backup it is restored from (read before anything is created). */
  private async firstStandbyState(plan: RestorePlan, params: CreateVolumeParams): Promise<StandbyState> {
    const summary = await this.backups.inspectBackup(formatBackupUrl(plan.target.written, plan.backupName, plan.volumeName), params);
    return {
      storeUrl: plan.target.written,
      ...(params.endpoint ? { endpoint: params.endpoint } : {}),
      sourceVolume: plan.volumeName,
      backupUrl: summary.url,
      backupName: summary.name,
      backupCreatedAt: summary.createdAt,
      syncedAt: new Date().toISOString(),
    };
  }

  /**
   * Brings standby `name` to another backup of its source volume (the newest unless a URL is
   * given), holding every lock of the volume. The journal (`syncing`) is written and fsync'd
   * before the first block is written and cleared only after the driver made every write
   * durable, so a sync killed at any point leaves a standby that refuses mounts and activation
   * until the next sync, which rewrites every block where any backup that may be mixed in
   * differs from its target. Refused while the volume is mounted: a read-only mount's page
   * cache would not see the blocks change under it.
   */
  syncStandby(name: string, req: SyncStandbyParams = {}, onProgress?: ProgressListener): Promise<StandbySyncResult> {
    return this.guard(async () => {
      validateName(name, 'volume');
      const { backupUrl } = checkSyncRequest(name, req);
      return this.locks.run(this.allKeys(name), async () => {
        this.syncingNow.add(name);
        try {
          return await this.syncHeld(name, backupUrl, req, onProgress);
        } finally {
          this.syncingNow.delete(name);
        }
      });
    });
  }

  /** The sync itself, holding every lock of the volume. */
  private async syncHeld(
    name: string,
    backupUrl: string | undefined,
    req: SyncStandbyParams,
    onProgress: ProgressListener | undefined,
  ): Promise<StandbySyncResult> {
    const state = await this.requireStandby(name);
    const driver = await this.locate(name);
    const volume = await driver.getVolume(name);
    if (!volume) throw volumeNotFound(name);
    if (volume.mountpoint) {
      throw new ConvoyError('BUSY', `standby ${name} is mounted at ${volume.mountpoint}; unmount it before a sync (its blocks would change under the mount)`, {
        details: { volume: name },
      });
    }
    // The caller's key (or the daemon's) opens the store; the request's key goes nowhere else.
    const store = { ...(state.endpoint === undefined ? {} : { endpoint: state.endpoint }), ...(req.encryptionKey ? { encryptionKey: req.encryptionKey } : {}) };
    const url = backupUrl ?? newestBackup(name, state, await this.backups.listBackups(state.storeUrl, { ...store, volumeName: state.sourceVolume })).url;
    const plan = await this.backups.planRestore(url, { ...store, ...(req.signal ? { signal: req.signal } : {}) });
    checkSameSource(name, state, { storeUrl: plan.target.written, volumeName: plan.volumeName });
    // The target's record is read (and, sealed, opened) with that key before the journal is written: a missing or wrong key changes nothing.
    await this.backups.inspectBackup(url, store);
    if (plan.backupName === state.backupName && !state.syncing) {
      // Already there: nothing is written, and the check counts as a sync.
      const current = { ...state, syncedAt: new Date().toISOString() };
      await this.standbys.put(name, current);
      return {
        volumeName: name,
        previousBackup: state.backupName,
        method: 'up to date',
        backupName: state.backupName,
        backupCreatedAt: state.backupCreatedAt,
        blocksCompared: 0,
        blocksWritten: 0,
        blocksZeroed: 0,
        bytesWritten: 0,
        standby: current,
      };
    }
    const heldBackups = backupsMixedIn(state);
    await this.standbys.put(name, { ...state, syncing: { from: heldBackups, to: plan.backupName, startedAt: new Date().toISOString() } });
    const report = await this.backups.syncStandby(plan, { standbyVolume: name, heldBackups, driverName: driver.name, ops: this.backupOps(driver) }, onProgress);
    const synced: StandbyState = {
      ...withoutJournal(state),
      backupUrl: formatBackupUrl(state.storeUrl, report.backupName, state.sourceVolume),
      backupName: report.backupName,
      backupCreatedAt: report.backupCreatedAt,
      syncedAt: new Date().toISOString(),
    };
    await this.standbys.put(name, synced);
    this.opts.log.info('standby synced', {
      volume: name,
      from: state.backupName,
      to: report.backupName,
      method: report.method,
      bytesWritten: report.bytesWritten,
    });
    return { volumeName: name, previousBackup: state.backupName, ...report, standby: synced };
  }

  /** Makes standby `name` an ordinary volume; refused while its last sync is unfinished (it would be a mix of backups). */
  activateStandby(name: string): Promise<VolumeRecord> {
    return this.guard(async () => {
      validateName(name, 'volume');
      if (this.syncingNow.has(name))
        throw new ConvoyError('BUSY', `standby ${name} is being synced; activate it when the sync has ended`, { details: { volume: name } });
      return this.locks.run(this.allKeys(name), async () => {
        const state = await this.requireStandby(name);
        if (state.syncing) throw standbyRefusal(name, state, 'activated');
        const driver = await this.locate(name);
        const record = await driver.getVolume(name);
        if (!record) throw volumeNotFound(name);
        await this.standbys.remove(name);
        this.opts.log.info('standby activated', { volume: name, backup: state.backupName });
        return withDriver(record, driver.name);
      });
    });
  }

  private async requireStandby(name: string): Promise<StandbyState> {
    const state = await this.standbys.get(name);
    if (state) return state;
    await this.locate(name);
    throw new ConvoyError('INVALID_ARGUMENT', `volume ${name} is not a standby volume (create one with \`convoy create NAME --backup URL --standby\`)`, {
      details: { volume: name },
    });
  }

  /** Refuses a change to a standby volume (mount, resize, snapshot, backup). */
  private async refuseStandby(name: string, action: string): Promise<void> {
    const state = await this.standbys.get(name);
    if (state) throw standbyRefusal(name, state, action);
  }

  /** The record as the API shows it: with its standby state when it is one. */
  private async withStandby(record: VolumeRecord): Promise<VolumeRecord> {
    const state = await this.standbys.get(record.name);
    return state ? { ...record, standby: { ...state, status: standbyStatus(state, this.syncingNow.has(record.name)) } } : record;
  }

  deleteVolume(name: string, opts: { referenceOnly: boolean }): Promise<void> {
    return this.guard(async () => {
      validateName(name, 'volume');
      if (typeof opts?.referenceOnly !== 'boolean') throw new ConvoyError('INVALID_ARGUMENT', 'referenceOnly must be true or false');
      await this.locks.run(this.allKeys(name), async () => {
        const driver = await this.locate(name);
        await this.forgetIfMissing(name, () => driver.deleteVolume({ name, referenceOnly: opts.referenceOnly }));
        this.index.removeVolume(name);
        if (await this.standbys.get(name)) await this.standbys.remove(name);
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
        await this.refuseStandby(name, 'mounted');
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
      if (typeof size !== 'number' || size === 0) {
        throw new ConvoyError('INVALID_ARGUMENT', `the new size of volume ${name} must be a whole number of bytes above 0, not ${JSON.stringify(size)}`);
      }
      checkSize(size, `the new size of volume ${name}`, 'volume');
      return this.locks.run(this.stateKey(name), async () => {
        const driver = await this.locate(name);
        await this.refuseStandby(name, 'resized');
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
      return this.withStandby(withDriver(record, driver.name));
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
        for (const record of records) volumes.push(await this.withStandby(withDriver(record, driver.name)));
      }
      return volumes.sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  createSnapshot(volumeName: string, snapshotName?: string, opts: CreateSnapshotOptions = {}): Promise<SnapshotRecord> {
    return this.guard(async () => {
      validateName(volumeName, 'volume');
      const name = snapshotName === undefined ? generateName('snapshot') : validateName(snapshotName, 'snapshot');
      const release = this.index.reserve(name, 'snapshot');
      try {
        const take = () =>
          this.locks.run(this.stateKey(volumeName), async () => {
            const driver = await this.locate(volumeName);
            const ops = this.snapshotOps(driver);
            await this.refuseStandby(volumeName, 'snapshotted');
            await this.refuseNameUsedByAnyDriver(name);
            const record = await this.forgetIfMissing(volumeName, () => ops.createSnapshot(volumeName, name));
            this.index.addSnapshot(record.name, volumeName);
            this.opts.log.info('snapshot created', { volume: volumeName, snapshot: name });
            return record;
          });
        return await (opts.consistent ? this.consistentSnapshot(volumeName, name, take) : take());
      } finally {
        release();
      }
    });
  }

  /**
   * The hooks around the driver's snapshot. They run outside the volume's lock, which only the
   * snapshot itself holds: a container stopping during a hook makes Docker unmount the volume,
   * and that must not wait for the hook. Bad names and a missing volume are refused before any
   * hook runs. A block-device driver takes a frozen cut (devmapper suspends the device, which
   * freezes its filesystem); a directory driver (vfs) copies files and cannot freeze, so there
   * the pre-hooks alone make the copy consistent.
   */
  private async consistentSnapshot(volumeName: string, snapshotName: string, take: () => Promise<SnapshotRecord>): Promise<SnapshotRecord> {
    const driver = await this.locate(volumeName);
    this.snapshotOps(driver);
    await this.refuseNameUsedByAnyDriver(snapshotName);
    const freeze = this.traits[driver.name]?.blockDevice ? 'device-suspend' : 'none';
    if (!this.opts.quiescer) {
      const record = await take();
      return { ...record, consistency: { mode: 'crash-consistent', notes: ['this daemon runs no container hooks'], freeze, containers: [] } };
    }
    const volume = await driver.getVolume(volumeName);
    const target = { volumeName, ...(volume?.mountpoint ? { mountpoint: volume.mountpoint } : {}) };
    const { value, report } = await this.opts.quiescer.around(target, take);
    this.opts.log.info('consistent snapshot', {
      volume: volumeName,
      snapshot: value.name,
      mode: report.mode,
      containers: report.containers.map((c) => c.name),
    });
    return { ...value, consistency: { ...report, freeze } };
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

  /**
   * Holds the volume's backup key while the driver reads its metadata, so neither snapshot can
   * be deleted under the read (snapshot deletes take every key of the volume).
   */
  snapshotBlocks(snapshotName: string, baseSnapshotName?: string): Promise<SnapshotBlocks> {
    return this.guard(async () => {
      validateName(snapshotName, 'snapshot');
      if (baseSnapshotName !== undefined) validateName(baseSnapshotName, 'snapshot');
      const volumeName = await this.locateSnapshot(snapshotName);
      if (baseSnapshotName !== undefined && (await this.locateSnapshot(baseSnapshotName)) !== volumeName) {
        throw new ConvoyError(
          'INVALID_ARGUMENT',
          `snapshots ${baseSnapshotName} and ${snapshotName} belong to different volumes; changed blocks compare two snapshots of one volume`,
        );
      }
      return this.locks.run(this.backupKey(volumeName), async () => {
        const { driver } = await this.readSnapshot(volumeName, snapshotName);
        if (baseSnapshotName !== undefined) await this.readSnapshot(volumeName, baseSnapshotName);
        const ops = driver.changedBlocks;
        if (!ops) throw new ConvoyError('NOT_SUPPORTED', `driver ${driver.name} does not report changed blocks`, { details: { driver: driver.name } });
        const { size, extents } =
          baseSnapshotName === undefined
            ? await ops.allocatedExtents(volumeName, snapshotName)
            : await ops.changedExtents(volumeName, baseSnapshotName, snapshotName);
        return { volumeName, snapshotSize: size, blockSize: ops.blockSize, extents };
      });
    });
  }

  /**
   * Backs up a snapshot. The store and settings are checked first; then, holding only the
   * volume's backup key, the snapshot is read and the backup service streams it to the store.
   */
  createBackup(req: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSummary> {
    return this.guard(async () => {
      validateName(req.snapshot, 'snapshot');
      const plan = await this.backups.planBackup(req);
      const volumeName = await this.locateSnapshot(req.snapshot);
      return this.locks.run(this.backupKey(volumeName), async () => {
        const { driver, record: snapshot } = await this.readSnapshot(volumeName, req.snapshot);
        await this.refuseStandby(volumeName, 'backed up');
        const ops = this.backupOps(driver);
        const volume = await driver.getVolume(volumeName);
        if (!volume) throw volumeNotFound(volumeName);
        return this.backups.createBackup(plan, { driverName: driver.name, ops, volume: withDriver(volume, driver.name), snapshot }, onProgress);
      });
    });
  }

  forgetSnapshots(volumeName: string, params: Omit<ForgetParams, 'endpoint'>): Promise<SnapshotForgetReport> {
    return this.guard(async () => {
      validateName(volumeName, 'volume');
      const policy = validateRetentionPolicy(params.policy);
      return forgetSnapshots(this, volumeName, { policy, dryRun: params.dryRun === true });
    });
  }

  /** What runs or waits now, by lock key (`backup:db`, `state:db`): for the shutdown log. */
  get busyOperations(): string[] {
    return this.locks.busyKeys;
  }

  /** Refuses new work, waits for running operations (cancelling them after a grace period), then closes every driver. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await drainOrCancel(
      () => this.locks.drain(),
      this.cancel,
      this.opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      this.opts.log,
      () => this.busyOperations,
    );
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
    if (others.length > 0)
      throw this.index.recordConflict(
        name,
        owners.map((o) => o.driver.name),
      );
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

  /** Whether a loaded driver has volume `name` (false also when none can say now). */
  private async volumeExists(name: string): Promise<boolean> {
    if (this.index.driverOf(name) !== undefined) return true;
    for (const driver of this.drivers.values()) {
      if (await driver.getVolume(name).catch(() => undefined)) return true;
    }
    return false;
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
  if (typeof size !== 'number') throw new ConvoyError('INVALID_ARGUMENT', `volume size must be a whole number of bytes, not ${JSON.stringify(size)}`);
  return checkSize(size, 'volume size', 'volume');
}

function validateOptions(options: unknown): Options {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ConvoyError('INVALID_ARGUMENT', 'volume options must be key=value pairs');
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
