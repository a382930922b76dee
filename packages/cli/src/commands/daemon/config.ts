/** `convoy daemon`'s flags, turned into the daemon's configuration: every bad value is an error naming its flag, before anything starts. */
import path from 'node:path';
import { ConvoyError, isLogLevel, type LogLevel, parseCount } from '@convoy/core/lite';
import { parseMetricsListen } from '../../daemon/metrics/metrics-listen.js';
import type { DaemonConfig } from '../../daemon/start-daemon.js';
import { DEFAULT_DOCKER_PLUGIN_DIR, DEFAULT_DOCKER_SOCKET, DEFAULT_HOOK_TIMEOUT, defaultRoot, defaultSocket } from '../../defaults.js';
import { parseDuration, parseKeyValues } from '../../flag-values.js';

export interface DaemonArgs {
  root?: string;
  drivers?: string[];
  driverOpts?: string[];
  driverModule?: string[];
  storeOpts?: string[];
  socketGroup?: string;
  dockerPluginDir?: string;
  pluginName: string;
  ignoreDockerDelete: boolean;
  createOnDockerMount: boolean;
  cmdTimeout: string;
  log?: string;
  logLevel: string;
  backupConcurrency?: string;
  encryptionKeyFile?: string;
  encryptionKeyPrompt?: boolean;
  metricsListen?: string;
  metricsAllowPublic?: boolean;
  csiSocket?: string;
  csiNodeId?: string;
  csiBackupTarget?: string[];
  csiKubeletDir?: string;
  csiSnapshotMetadata?: boolean;
  dockerSocket?: string;
  hookTimeout?: string;
}

/** Turns the daemon's flags into its configuration; every bad value is an error naming the flag. */
export function daemonConfigFromArgs(args: DaemonArgs & { socket?: string }): Omit<DaemonConfig, 'log'> & { logFile?: string; logLevel: LogLevel } {
  const root = path.resolve(args.root ?? defaultRoot());
  if (!isLogLevel(args.logLevel)) throw new ConvoyError('INVALID_ARGUMENT', `--log-level ${JSON.stringify(args.logLevel)}: use debug, info, warn or error`);
  return {
    root,
    drivers: args.drivers ?? [],
    driverOptions: parseKeyValues('driver-opts', args.driverOpts),
    driverModules: args.driverModule ?? [],
    storeOptions: parseKeyValues('store-opts', args.storeOpts),
    // Without --socket a non-root daemon listens inside the root it was given.
    socketPath: path.resolve(args.socket ?? defaultSocket(root)),
    ...(args.socketGroup === undefined ? {} : { socketGroup: args.socketGroup }),
    docker: {
      pluginDir: args.dockerPluginDir ?? DEFAULT_DOCKER_PLUGIN_DIR,
      pluginName: args.pluginName,
      required: args.dockerPluginDir !== undefined,
    },
    ignoreDockerDelete: args.ignoreDockerDelete,
    createOnDockerMount: args.createOnDockerMount,
    cmdTimeoutMs: parseDuration('cmd-timeout', args.cmdTimeout, 'commandTimeout'),
    hooks: {
      dockerSocket: path.resolve(args.dockerSocket ?? DEFAULT_DOCKER_SOCKET),
      timeoutMs: parseDuration('hook-timeout', args.hookTimeout ?? DEFAULT_HOOK_TIMEOUT, 'hookTimeout'),
    },
    ...(args.backupConcurrency === undefined ? {} : { backupConcurrency: parseCount(args.backupConcurrency, '--backup-concurrency', 'backupConcurrency') }),
    ...(args.metricsListen === undefined ? {} : { metrics: parseMetricsListen(args.metricsListen, args.metricsAllowPublic === true) }),
    ...csiConfigFromArgs(args),
    ...(args.log === undefined ? {} : { logFile: path.resolve(args.log) }),
    logLevel: args.logLevel,
  };
}

function csiConfigFromArgs(args: DaemonArgs): Pick<DaemonConfig, 'csi'> {
  const given = args.csiNodeId !== undefined || args.csiBackupTarget !== undefined || args.csiKubeletDir !== undefined || args.csiSnapshotMetadata === true;
  if (args.csiSocket === undefined) {
    if (given) throw new ConvoyError('INVALID_ARGUMENT', '--csi-node-id, --csi-backup-target, --csi-kubelet-dir and --csi-snapshot-metadata need --csi-socket');
    return {};
  }
  if (!args.csiNodeId) throw new ConvoyError('INVALID_ARGUMENT', '--csi-socket needs --csi-node-id (the Kubernetes node name, e.g. from the downward API)');
  return {
    csi: {
      socketPath: path.resolve(args.csiSocket),
      nodeId: args.csiNodeId,
      backupTargets: args.csiBackupTarget ?? [],
      ...(args.csiKubeletDir === undefined ? {} : { kubeletDir: path.resolve(args.csiKubeletDir) }),
      snapshotMetadata: args.csiSnapshotMetadata === true,
    },
  };
}
