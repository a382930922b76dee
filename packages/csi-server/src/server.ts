import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type CommandRunner, KeyedMutex, type Logger } from '@convoy/core';
import type { ChangedBlockService, StoreOperations, VolumeService } from '@convoy/volume-service';
import * as grpc from '@grpc/grpc-js';
import { BackupUploads } from './backup-uploads.js';
import type { CsiContext } from './context.js';
import { snapshotControllerHandlers } from './controller-snapshots.js';
import { volumeControllerHandlers } from './controller-volumes.js';
import { CsiRecords } from './csi-records.js';
import type { ControllerHandlers } from './generated/csi/v1/Controller.js';
import type { IdentityHandlers } from './generated/csi/v1/Identity.js';
import type { NodeHandlers } from './generated/csi/v1/Node.js';
import { type HandlerTable, NOT_IMPLEMENTED } from './handler-table.js';
import { identityHandlers } from './identity.js';
import { requireField } from './ids.js';
import { nodeHandlers } from './node-service.js';
import type { BackupTarget } from './parameters.js';
import { loadCsiServices } from './proto.js';
import { snapshotMetadataHandlers } from './snapshot-metadata.js';
import { toServiceError, unimplemented } from './status.js';

/** The name Kubernetes knows the plugin by: the CSIDriver object and every StorageClass provisioner. */
export const CSI_PLUGIN_NAME = 'convoy.rancher.io';
/** Topology key of node-local volumes: its value is the node id (`--csi-node-id`). */
export const CSI_TOPOLOGY_KEY = 'convoy.rancher.io/node';
export const DEFAULT_KUBELET_DIR = '/var/lib/kubelet';

export interface CsiServerOptions {
  service: VolumeService & ChangedBlockService;
  /** The daemon's store operations (the same object its API serves). */
  stores: StoreOperations;
  /** Unix socket to listen on (the kubelet and the sidecars use `unix://<path>`). */
  socketPath: string;
  nodeId: string;
  /** The daemon root: CSI keeps its records and its copy store under `<root>/csi`. */
  stateDir: string;
  version: string;
  targets?: readonly BackupTarget[];
  kubeletDir?: string;
  run: CommandRunner;
  log: Logger;
  /**
   * Serve and advertise SnapshotMetadata (alpha in CSI 1.10, like Kubernetes' changed-block
   * tracking). Off by default, as the CSI hostpath driver does: conformance suites older than
   * the SNAPSHOT_METADATA_SERVICE capability (csi-sanity 5.3.1) fail on it.
   */
  snapshotMetadata?: boolean;
  /** Probe's answer; the daemon is ready once its manager is open. */
  isReady?: () => boolean;
  /** How long close() lets calls in flight finish before cancelling them (default 10 s). */
  closeGraceMs?: number;
}

export interface CsiServer {
  readonly socketPath: string;
  /** What still runs in the background (`bak` uploads), for the shutdown log. */
  busy(): string[];
  close(): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 10_000;

type Handler = (request: never) => Promise<unknown>;

/** A promise-returning handler as a gRPC unary one: every failure becomes its exact status, and is logged. */
function unary(name: string, handler: Handler, log: Logger): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    handler(call.request as never).then(
      (response) => callback(null, response),
      (err: unknown) => {
        const status = toServiceError(err);
        log.info('csi call refused', { call: name, code: status.code, message: status.details });
        callback(status as grpc.ServiceError);
      },
    );
  };
}

/** A typed table as gRPC serves it: handlers as unary calls, NOT_IMPLEMENTED entries left to withUnimplemented. */
function implementation(handlers: Record<string, Handler | typeof NOT_IMPLEMENTED>, log: Logger): grpc.UntypedServiceImplementation {
  return Object.fromEntries(
    Object.entries(handlers).flatMap(([name, handler]) => (handler === NOT_IMPLEMENTED ? [] : [[name, unary(name, handler as Handler, log)]])),
  );
}

/** Every call a service defines that this plugin does not implement answers UNIMPLEMENTED, by name. */
function withUnimplemented(service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const full: grpc.UntypedServiceImplementation = { ...impl };
  for (const [name, def] of Object.entries(service)) {
    if (full[name]) continue;
    const message = `${name} is not implemented by the Convoy CSI plugin`;
    full[name] = def.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => call.destroy(Object.assign(new Error(message), toServiceError(unimplemented(message))))
      : (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(toServiceError(unimplemented(message)) as grpc.ServiceError);
  }
  return full;
}

const CONTROLLER_CAPABILITIES = [
  'CREATE_DELETE_VOLUME',
  'LIST_VOLUMES',
  'GET_CAPACITY',
  'CREATE_DELETE_SNAPSHOT',
  'LIST_SNAPSHOTS',
  'CLONE_VOLUME',
  'EXPAND_VOLUME',
  'GET_VOLUME',
] as const;

/**
 * Serves CSI Identity, Controller, Node and SnapshotMetadata for the daemon's VolumeManager on
 * a unix socket. A stale socket file is replaced; anything else at that path is refused.
 */
export async function startCsiServer(opts: CsiServerOptions): Promise<CsiServer> {
  const log = opts.log;
  const csiDir = path.join(opts.stateDir, 'csi');
  const records = new CsiRecords(csiDir);
  await records.open();
  // Which drivers serve, and what each declares of its volumes, come from the service itself.
  const { drivers, defaultDriver, driverTraits } = await opts.service.info();
  const ctx: CsiContext = {
    service: opts.service,
    stores: opts.stores,
    pluginName: CSI_PLUGIN_NAME,
    pluginVersion: opts.version,
    nodeId: opts.nodeId,
    topologyKey: CSI_TOPOLOGY_KEY,
    kubeletDir: path.resolve(opts.kubeletDir ?? DEFAULT_KUBELET_DIR),
    records,
    targets: new Map((opts.targets ?? []).map((t) => [t.name, t])),
    copyStoreUrl: `vfs://${records.copyStoreDir}`,
    run: opts.run,
    log,
    locks: new KeyedMutex(),
    enabledDrivers: drivers,
    defaultDriver,
    driverTraits,
  };
  requireField(opts.nodeId, 'the CSI node id (--csi-node-id)');
  let serving = true;
  const uploads = new BackupUploads(ctx);
  uploads.resumeUnfinished(await records.backups());
  const services = loadCsiServices('server');
  const server = new grpc.Server();
  const identity: HandlerTable<IdentityHandlers> = identityHandlers(ctx, () => serving && (opts.isReady?.() ?? true), opts.snapshotMetadata ?? false);
  server.addService(services.Identity.service, withUnimplemented(services.Identity.service, implementation(identity, log)));
  const controller: HandlerTable<ControllerHandlers> = {
    ...volumeControllerHandlers(ctx),
    ...snapshotControllerHandlers(ctx, uploads),
    ControllerGetCapabilities: async () => ({ capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })) }),
    ControllerPublishVolume: NOT_IMPLEMENTED,
    ControllerUnpublishVolume: NOT_IMPLEMENTED,
    ControllerModifyVolume: NOT_IMPLEMENTED,
  };
  server.addService(services.Controller.service, withUnimplemented(services.Controller.service, implementation(controller, log)));
  const node: HandlerTable<NodeHandlers> = nodeHandlers(ctx);
  server.addService(services.Node.service, withUnimplemented(services.Node.service, implementation(node, log)));
  const metadata = opts.snapshotMetadata ? (snapshotMetadataHandlers(ctx) as grpc.UntypedServiceImplementation) : {};
  server.addService(services.SnapshotMetadata.service, withUnimplemented(services.SnapshotMetadata.service, metadata));

  const socketPath = path.resolve(opts.socketPath);
  await mkdir(path.dirname(socketPath), { recursive: true });
  await removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  await chmod(socketPath, 0o600);
  log.info('csi server listening', { socket: socketPath, node: opts.nodeId, plugin: CSI_PLUGIN_NAME, targets: [...ctx.targets.keys()] });
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    busy: () => uploads.running.map((snapshot) => `csi upload of snapshot ${snapshot}`),
    close: () =>
      (closing ??= (async () => {
        serving = false;
        // No upload starts once stopping; running ones are cancelled by the manager's shutdown.
        uploads.stop();
        // Calls in flight get the grace period, then are cancelled: a call stuck on a hung
        // store never keeps the socket open.
        const force = setTimeout(() => server.forceShutdown(), opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        clearTimeout(force);
        await rm(socketPath, { force: true });
      })()),
  };
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  const stats = await lstat(socketPath).catch(() => undefined);
  if (!stats) return;
  if (!stats.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  await rm(socketPath);
}
