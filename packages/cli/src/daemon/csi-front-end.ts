import { type CommandRunner, ConvoyError, type JsonLogger } from '@convoy/core';
import type { ChangedBlockService, StoreOperations, VolumeService } from '@convoy/volume-service';
import { CONVOY_VERSION } from '../version.js';

/** `convoy daemon --csi-*`: the Kubernetes CSI front end served beside the Docker one. */
export interface CsiConfig {
  socketPath: string;
  nodeId: string;
  /** `--csi-backup-target NAME=STORE_URL[,endpoint=URL]`, as given (parsed by the CSI server). */
  backupTargets: string[];
  kubeletDir?: string;
  /** `--csi-snapshot-metadata`: serve and advertise CSI SnapshotMetadata (alpha). */
  snapshotMetadata?: boolean;
}

export interface RunningFrontEnd {
  socketPath: string;
  /** What still runs in the background, for the shutdown log. */
  busy(): string[];
  close(): Promise<void>;
}

/**
 * Starts the CSI server on the daemon's one service (the same object the API and the scheduler
 * get: counted in metrics, pausing schedules on delete); loaded only when `--csi-socket` is
 * given, so a Docker-only daemon never loads gRPC.
 */
export async function startCsiFrontEnd(
  cfg: CsiConfig,
  deps: { service: VolumeService & ChangedBlockService; stores: StoreOperations; root: string; run: CommandRunner; log: JsonLogger; closeGraceMs?: number },
): Promise<RunningFrontEnd> {
  const { startCsiServer, parseBackupTarget } = await import('@convoy/csi-server');
  const targets = cfg.backupTargets.map((text) => {
    try {
      return parseBackupTarget(text);
    } catch (err) {
      throw new ConvoyError('INVALID_ARGUMENT', (err as Error).message);
    }
  });
  return startCsiServer({
    service: deps.service,
    stores: deps.stores,
    socketPath: cfg.socketPath,
    nodeId: cfg.nodeId,
    stateDir: deps.root,
    version: CONVOY_VERSION,
    targets,
    ...(cfg.kubeletDir === undefined ? {} : { kubeletDir: cfg.kubeletDir }),
    snapshotMetadata: cfg.snapshotMetadata ?? false,
    run: deps.run,
    log: deps.log.child({ component: 'csi-server' }),
    ...(deps.closeGraceMs === undefined ? {} : { closeGraceMs: deps.closeGraceMs }),
  });
}
