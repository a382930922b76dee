import type { Logger } from '@convoy/core';
import type { ScheduleService, StoreOperations, VolumeService } from '@convoy/volume-service';
import { buildApp } from './app.js';
import { reconcileDockerMounts } from './docker-routes.js';
import { type DockerSpec, writeDockerSpec } from './docker-spec.js';
import { MountRefs } from './mount-refs.js';
import { resolveGroupId } from './unix-group.js';
import { type PublishedSocket, publishSocket } from './unix-socket.js';

export const DEFAULT_BODY_LIMIT = 256 * 1024;
/** In-flight requests (a long backup) get this long to finish when the daemon stops. */
const DEFAULT_CLOSE_GRACE_MS = 10_000;

export interface PluginServerOptions {
  service: VolumeService;
  /** The operations on a backup store alone (list, inspect, delete, prune, forget, verify, keys). */
  stores: StoreOperations;
  /** The daemon's scheduler; the schedule routes answer NOT_SUPPORTED without one. */
  schedules?: ScheduleService;
  socketPath: string;
  /** Group allowed to use the socket (name or gid); the daemon's own group when absent. */
  socketGroup?: string;
  /** Where the Docker mount table lives (the daemon root). */
  stateDir: string;
  /** Register with dockerd through a spec file; omit to stay invisible to Docker. */
  docker?: { pluginDir: string; pluginName: string };
  ignoreDockerDelete?: boolean;
  createOnDockerMount?: boolean;
  bodyLimit?: number;
  closeGraceMs?: number;
  log: Logger;
}

export interface PluginServer {
  readonly socketPath: string;
  /** The Docker spec file written, if any. */
  readonly specFile?: string;
  /** Stops accepting requests, lets in-flight ones finish (up to the grace), removes the socket and spec. */
  close(): Promise<void>;
}

export async function startPluginServer(opts: PluginServerOptions): Promise<PluginServer> {
  const gid = opts.socketGroup === undefined ? undefined : await resolveGroupId(opts.socketGroup);
  const refs = await MountRefs.load(opts.stateDir);
  await reconcileDockerMounts(opts.service, refs, opts.log);
  const app = await buildApp({
    service: opts.service,
    stores: opts.stores,
    ...(opts.schedules ? { schedules: opts.schedules } : {}),
    refs,
    ignoreDockerDelete: opts.ignoreDockerDelete ?? false,
    createOnDockerMount: opts.createOnDockerMount ?? false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    log: opts.log,
  });
  let spec: DockerSpec | undefined;
  let socket: PublishedSocket | undefined;
  try {
    socket = await publishSocket(async (tmpPath) => void (await app.listen({ path: tmpPath })), {
      path: opts.socketPath,
      ...(gid === undefined ? {} : { gid }),
    });
    if (opts.docker) spec = await writeDockerSpec({ dir: opts.docker.pluginDir, pluginName: opts.docker.pluginName, socketPath: socket.path });
    opts.log.info('listening', { socket: socket.path, dockerSpec: spec?.file });
    const published = socket;
    return {
      socketPath: published.path,
      ...(spec ? { specFile: spec.file } : {}),
      async close() {
        // Docker stops finding the plugin first, then the socket goes.
        await spec?.remove();
        const grace = setTimeout(() => app.server.closeAllConnections(), opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(grace);
          await published.unpublish();
        }
      },
    };
  } catch (err) {
    await spec?.remove();
    await app.close();
    await socket?.unpublish();
    throw err;
  }
}
