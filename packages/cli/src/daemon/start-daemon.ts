import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ContainerHookRunner, DockerEngine } from '@convoy/app-hooks';
import { createBackupEngine, ENCRYPTION_MEMORY_FILE, parseStoreUrl, type UserKey } from '@convoy/backup-store';
import {
  acquireRootLock,
  ConvoyError,
  createCommandRunner,
  type HeldLock,
  type JsonLogger,
  type ModuleImporter,
  ObjectStoreRegistry,
  type Options,
} from '@convoy/core';
import { type PluginServer, startPluginServer } from '@convoy/plugin-server';
import {
  checkStoreOptions,
  DEFAULT_STOP_GRACE_MS,
  pausingSchedulesOnDelete,
  Scheduler,
  STANDBY_DIR,
  type StoreOperations,
  schedulesFile,
  VolumeManager,
  type VolumeService,
} from '@convoy/volume-service';
import { CONVOY_VERSION } from '../version.js';
import { type StopOutcome, stopWithin } from './bounded-stop.js';
import { type CsiConfig, startCsiFrontEnd } from './csi-front-end.js';
import { importPackage } from './import-package.js';
import { loadDrivers } from './load-drivers.js';
import type { MetricsListen } from './metrics/metrics-listen.js';

export interface DaemonConfig {
  root: string;
  drivers: string[];
  driverOptions: Options;
  driverModules: string[];
  /** `--store-opts`: `<scheme>.<setting>` pairs, checked at start, given to every store of that scheme. */
  storeOptions: Options;
  socketPath: string;
  socketGroup?: string;
  /** Docker discovery; `required` false means a spec directory we cannot write is only a warning. */
  docker?: { pluginDir: string; pluginName: string; required: boolean };
  ignoreDockerDelete: boolean;
  createOnDockerMount: boolean;
  cmdTimeoutMs: number;
  backupConcurrency?: number;
  /** Opens encrypted stores for requests that bring no key of their own. */
  encryptionKey?: UserKey;
  /** `--metrics-listen` (already checked for loopback); no metrics without it. */
  metrics?: MetricsListen;
  /**
   * How long stopping lets running requests and operations finish before cancelling them
   * (default 10 s). Stopping takes at most twice this plus STOP_DEADLINE_MARGIN_MS: past that
   * the daemon is abandoned (see RunningDaemon.abandon).
   */
  stopGraceMs?: number;
  /** `--csi-socket` and friends: serve Kubernetes CSI on the same manager. */
  csi?: CsiConfig;
  /** `--docker-socket`, `--hook-timeout`: where consistent snapshots find containers and their hooks; none without it. */
  hooks?: { dockerSocket: string; timeoutMs: number };
  log: JsonLogger;
}

export interface RunningDaemon {
  readonly socketPath: string;
  readonly specFile?: string;
  /** `http://host:port/metrics` when metrics are served. */
  readonly metricsUrl?: string;
  readonly csiSocketPath?: string;
  /**
   * Stops taking work, closes the front ends while the manager drains (cancelling operations
   * after the grace period), closes the drivers and releases the root; abandons the daemon if
   * that has not finished by the stop deadline. Resolves with how it ended.
   */
  stop(): Promise<StopOutcome>;
  /**
   * For a daemon about to exit without finishing its stop (the deadline passed, or a second
   * signal): logs what still runs, removes the Docker spec file and the sockets and releases
   * the root lock, so a restarted daemon and Docker find nothing stale.
   */
  abandon(reason: string): Promise<void>;
}

/** Beyond two grace periods (drain, then cancel), how long stopping may take before it is abandoned. */
export const STOP_DEADLINE_MARGIN_MS = 2_000;

/** The settings `convoy info` shows, as Convoy's daemonConfig did. */
/** Docker names a spec-file plugin by its name, a managed one by name:tag. */
function hookRunner(hooks: NonNullable<DaemonConfig['hooks']>, docker: DaemonConfig['docker']): ContainerHookRunner {
  return new ContainerHookRunner({
    engine: new DockerEngine(hooks.dockerSocket),
    defaults: { timeoutMs: hooks.timeoutMs, onError: 'fail' },
    ...(docker ? { pluginNames: [docker.pluginName, `${docker.pluginName}:latest`] } : {}),
  });
}

function shownConfig(cfg: DaemonConfig): Record<string, unknown> {
  return {
    root: cfg.root,
    drivers: cfg.drivers,
    driverModules: cfg.driverModules,
    storeOptions: cfg.storeOptions,
    socket: cfg.socketPath,
    dockerPlugin: cfg.docker ? `${cfg.docker.pluginDir}/${cfg.docker.pluginName}.spec` : null,
    ignoreDockerDelete: cfg.ignoreDockerDelete,
    createOnDockerMount: cfg.createOnDockerMount,
    cmdTimeoutMs: cfg.cmdTimeoutMs,
    backupConcurrency: cfg.backupConcurrency ?? null,
    // Which kind of key the daemon holds; never the key.
    encryptionKey: cfg.encryptionKey?.kind ?? null,
    metricsListen: cfg.metrics ? `${cfg.metrics.host}:${cfg.metrics.port}` : null,
    hooks: cfg.hooks ?? null,
    csi: cfg.csi
      ? {
          socket: cfg.csi.socketPath,
          nodeId: cfg.csi.nodeId,
          backupTargets: cfg.csi.backupTargets.map((t) => t.split('=')[0]),
          snapshotMetadata: cfg.csi.snapshotMetadata ?? false,
        }
      : null,
  };
}

async function startServer(cfg: DaemonConfig, served: { service: VolumeService; stores: StoreOperations }, schedules: Scheduler): Promise<PluginServer> {
  const base = {
    ...served,
    schedules,
    socketPath: cfg.socketPath,
    stateDir: cfg.root,
    ignoreDockerDelete: cfg.ignoreDockerDelete,
    createOnDockerMount: cfg.createOnDockerMount,
    log: cfg.log.child({ component: 'plugin-server' }),
    ...(cfg.socketGroup === undefined ? {} : { socketGroup: cfg.socketGroup }),
    ...(cfg.stopGraceMs === undefined ? {} : { closeGraceMs: cfg.stopGraceMs }),
  };
  if (!cfg.docker) return startPluginServer(base);
  try {
    return await startPluginServer({ ...base, docker: cfg.docker });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (cfg.docker.required || (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS')) throw err;
    cfg.log.warn('cannot register with Docker (no write access to its plugin directory); serving without it', {
      dir: cfg.docker.pluginDir,
      hint: 'run as root, or pass --docker-plugin-dir',
    });
    return startPluginServer(base);
  }
}

/**
 * Starts everything `convoy daemon` runs, in order: the store settings' check (before anything
 * changes), the root and its lock, the command runner, the drivers, the backup engine, the
 * volume manager, and the server. Whatever started is stopped again (in reverse order) if a
 * later step fails.
 */
export async function startDaemon(cfg: DaemonConfig, importer: ModuleImporter = importPackage): Promise<RunningDaemon> {
  const log = cfg.log;
  // What closes again: the front ends, the scheduler and the manager (the root lock apart, last).
  const closers: Array<() => Promise<void>> = [];
  const close = (step: () => Promise<void>) => step().catch((err: unknown) => log.error('stopping failed', { err }));
  let lock: HeldLock | undefined;
  try {
    // Loaded only when asked for: a daemon without metrics never imports prom-client.
    const metrics = cfg.metrics ? await import('./metrics/daemon-metrics.js') : undefined;
    const counters = metrics?.createDaemonMetrics();
    const stores = counters ? new metrics!.CountingStoreRegistry(counters, importer) : new ObjectStoreRegistry(importer);
    await checkStoreOptions(stores, cfg.storeOptions);
    await mkdir(cfg.root, { recursive: true, mode: 0o700 });
    const root = (lock = await acquireRootLock(cfg.root));
    const run = createCommandRunner({ timeoutMs: cfg.cmdTimeoutMs, onCommand: (command, args) => log.debug('exec', { command, args }) });
    const { drivers, options: driverOptions } = await loadDrivers({
      names: cfg.drivers,
      modules: cfg.driverModules,
      options: cfg.driverOptions,
      root: cfg.root,
      run,
      log,
      importer,
    });
    const manager = new VolumeManager({
      drivers,
      stores,
      storeOptions: cfg.storeOptions,
      engine: createBackupEngine({
        ...(cfg.backupConcurrency === undefined ? {} : { concurrency: cfg.backupConcurrency }),
        ...(cfg.encryptionKey === undefined ? {} : { encryptionKey: cfg.encryptionKey }),
        // What the daemon saw encrypted survives a restart: removing a marker from the bucket cannot downgrade it.
        encryptionMemoryFile: path.join(cfg.root, ENCRYPTION_MEMORY_FILE),
      }),
      ...(cfg.stopGraceMs === undefined ? {} : { stopGraceMs: cfg.stopGraceMs }),
      ...(cfg.hooks === undefined ? {} : { quiescer: hookRunner(cfg.hooks, cfg.docker) }),
      owner: `${os.hostname()}:${process.pid}`,
      // Which volumes are standbys, and their sync journals: beside the drivers' state, surviving restarts.
      standbyDir: path.join(cfg.root, STANDBY_DIR),
      log,
      daemon: { version: CONVOY_VERSION, root: cfg.root, config: shownConfig(cfg), driverOptions },
    });
    closers.push(() => manager.close());
    await manager.open();
    // The one service every front end gets (API and Docker, the scheduler, CSI): counted when
    // metrics are on, and pausing a deleted volume's schedules; beside it, the store operations. The scheduler is made below; a
    // delete can only arrive once the front ends serve, after it exists.
    const storeOps = counters ? metrics!.instrumentStoreOperations(manager.storeOperations, counters) : manager.storeOperations;
    let scheduler: Scheduler | undefined;
    const service = pausingSchedulesOnDelete(counters ? metrics!.instrumentService(manager, counters) : manager, {
      pauseSchedulesOf: async (volume, reason) => scheduler?.pauseSchedulesOf(volume, reason),
    });
    scheduler = new Scheduler({
      file: schedulesFile(cfg.root),
      service,
      stores: storeOps,
      log: log.child({ component: 'scheduler' }),
      checkStore: async (url) => void (await stores.resolve(parseStoreUrl(url).protocol.replace(/:$/, ''))),
      ...(counters ? { onRun: counters.scheduleRun } : {}),
    });
    await scheduler.start();
    closers.push(() => scheduler.stop());
    const server = await startServer(cfg, { service, stores: storeOps }, scheduler);
    closers.push(() => server.close());
    let metricsUrl: string | undefined;
    if (counters && cfg.metrics) {
      counters.watch({ schedules: scheduler, service: manager });
      await counters.seedFromSchedules(scheduler);
      const served = await metrics!.startMetricsServer(cfg.metrics, counters.registry, log.child({ component: 'metrics' }));
      closers.push(() => served.close());
      metricsUrl = served.url;
    }
    const csi = cfg.csi
      ? await startCsiFrontEnd(cfg.csi, {
          service,
          stores: storeOps,
          root: cfg.root,
          run,
          log,
          ...(cfg.stopGraceMs === undefined ? {} : { closeGraceMs: cfg.stopGraceMs }),
        })
      : undefined;
    if (csi) closers.push(() => csi.close());
    log.info('convoy daemon started', { version: CONVOY_VERSION, root: cfg.root, drivers: drivers.map((d) => d.name), socket: server.socketPath });
    const abandon = async (reason: string): Promise<void> => {
      log.error(`${reason}: exiting with work still running`, { running: [...manager.busyOperations, ...(csi?.busy() ?? [])] });
      const leftovers = [server.specFile, server.socketPath, csi?.socketPath].filter((file): file is string => file !== undefined);
      await Promise.all(leftovers.map((file) => rm(file, { force: true }).catch((err: unknown) => log.error('could not remove', { file, err }))));
      await root.release();
    };
    const deadlineMs = 2 * (cfg.stopGraceMs ?? DEFAULT_STOP_GRACE_MS) + STOP_DEADLINE_MARGIN_MS;
    let stopping: Promise<StopOutcome> | undefined;
    return {
      socketPath: server.socketPath,
      ...(server.specFile === undefined ? {} : { specFile: server.specFile }),
      ...(metricsUrl === undefined ? {} : { metricsUrl }),
      ...(csi ? { csiSocketPath: csi.socketPath } : {}),
      stop: () =>
        (stopping ??= stopWithin(
          deadlineMs,
          async () => {
            // All at once: no front end or schedule takes new work, and the manager's grace
            // period runs meanwhile (a front end waiting for an operation waits for the manager
            // to cancel it). The drivers close with the manager; the root is released last.
            await Promise.all(closers.map(close));
            await root.release();
            log.info('convoy daemon stopped');
          },
          () => abandon(`the daemon did not stop within ${deadlineMs} ms`),
        )),
      abandon,
    };
  } catch (err) {
    for (const step of closers.reverse()) await close(step);
    const held = lock;
    if (held) await close(() => held.release());
    throw err instanceof ConvoyError ? err : new ConvoyError('INTERNAL', `the daemon could not start: ${(err as Error).message}`, { cause: err });
  }
}
