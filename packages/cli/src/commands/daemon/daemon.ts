/** `convoy daemon`: runs the daemon. Its modules load only when it runs, so client commands never pay for them. */
import { ConvoyError, countRangeText, createJsonLogger, durationRangeText } from '@convoy/core/lite';
import { DEFAULT_DOCKER_PLUGIN_DIR, DEFAULT_DOCKER_SOCKET, DEFAULT_HOOK_TIMEOUT, DEFAULT_PLUGIN_NAME, defaultRoot } from '../../defaults.js';
import { KEY_FILE_ENV, keyFromFileOrEnv, PASSPHRASE_ENV, promptPassphrase } from '../../encryption-key.js';
import type { CommandModule } from '../command-module.js';
import { type DaemonArgs, daemonConfigFromArgs } from './config.js';

async function promptForDaemon(interactive: boolean) {
  const key = interactive ? await promptPassphrase('Passphrase of the encrypted backup stores: ') : undefined;
  if (!key) throw new ConvoyError('INVALID_ARGUMENT', '--encryption-key-prompt needs a terminal (or use --encryption-key-file)');
  return key;
}

export const daemonCommand: CommandModule<DaemonArgs> = {
  command: 'daemon',
  describe: 'Run the Convoy daemon: the volume manager, the Docker volume plugin and the API the CLI talks to',
  // The drivers' options (daemon/driver-options-help.ts) are given only when help is asked for.
  builder: (c, { driverHelp }) =>
    c
      .option('root', { type: 'string', describe: `state directory (default ${defaultRoot()}); each driver keeps its state in <root>/<driver>` })
      .option('drivers', { type: 'string', array: true, describe: 'enable a driver by name (repeatable); the first is the default for create' })
      .option('driver-opts', { type: 'string', array: true, describe: 'driver option key=value, e.g. vfs.path=/srv/convoy (repeatable)' })
      .option('driver-module', { type: 'string', array: true, describe: 'load a third-party driver package from this path (repeatable)' })
      .option('store-opts', {
        type: 'string',
        array: true,
        describe: 'backup store setting <scheme>.<setting>=value for every store of that scheme, e.g. s3.pageSize=500 (repeatable; checked at start)',
      })
      .option('socket-group', { type: 'string', describe: 'group allowed to use the socket (mode 0660); root only otherwise' })
      .option('docker-plugin-dir', {
        type: 'string',
        describe: `where to write <plugin-name>.spec so dockerd finds the plugin (default ${DEFAULT_DOCKER_PLUGIN_DIR})`,
      })
      .option('plugin-name', { type: 'string', default: DEFAULT_PLUGIN_NAME, describe: 'the volume driver name Docker users pass to --volume-driver / -d' })
      .option('ignore-docker-delete', { type: 'boolean', default: false, describe: '`docker volume rm` leaves the volume in Convoy' })
      .option('create-on-docker-mount', { type: 'boolean', default: false, describe: '`docker run -v NAME:...` creates a missing volume' })
      .option('ignore-config-file', {
        type: 'boolean',
        default: false,
        describe: "accepted from Go Convoy's command lines: this daemon keeps no convoy.cfg, its flags always rule",
      })
      .option('cmd-timeout', {
        type: 'string',
        default: '5m',
        describe: `time limit of each external command (mkfs, mount, thin_delta, ...), e.g. 90s, 5m (${durationRangeText('commandTimeout')}; 0: none)`,
      })
      .option('docker-socket', {
        type: 'string',
        describe: `the Docker Engine socket where \`snapshot create --consistent\` finds the containers mounting a volume and runs their hook labels inside them (default ${DEFAULT_DOCKER_SOCKET})`,
      })
      .option('hook-timeout', {
        type: 'string',
        describe: `time limit of each container hook whose container sets no io.convoy.hooks.timeout label (default ${DEFAULT_HOOK_TIMEOUT}; ${durationRangeText('hookTimeout')})`,
      })
      .option('log', { type: 'string', describe: 'write JSON-lines logs to this file instead of stdout' })
      .option('log-level', { type: 'string', default: 'info', describe: 'debug, info, warn or error' })
      .option('encryption-key-file', {
        type: 'string',
        describe: `the key that opens encrypted backup stores (else $${KEY_FILE_ENV} or $${PASSPHRASE_ENV}); requests may bring their own`,
      })
      .option('encryption-key-prompt', { type: 'boolean', describe: 'ask for that key as a passphrase on the terminal at start' })
      .option('backup-concurrency', {
        type: 'string',
        describe: `blocks read, compressed and uploaded at once by each backup or restore (${countRangeText('backupConcurrency')})`,
      })
      .option('metrics-listen', {
        type: 'string',
        describe: 'serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9796 (off by default; loopback only)',
      })
      .option('metrics-allow-public', { type: 'boolean', default: false, describe: 'let --metrics-listen use an address other hosts can reach' })
      .option('csi-socket', { type: 'string', describe: 'also serve Kubernetes CSI (Identity, Controller, Node, SnapshotMetadata) on this unix socket' })
      .option('csi-node-id', { type: 'string', describe: "this node's id in CSI (the Kubernetes node name); node-local volumes carry it as topology" })
      .option('csi-backup-target', {
        type: 'string',
        array: true,
        describe:
          'a store CSI `type: bak` snapshots may back up to: NAME=STORE_URL[,endpoint=URL] (repeatable); VolumeSnapshotClass parameter backupTarget names it',
      })
      .option('csi-kubelet-dir', { type: 'string', describe: 'CSI staging and target paths must lie under this directory (default /var/lib/kubelet)' })
      .option('csi-snapshot-metadata', {
        type: 'boolean',
        describe: 'serve and advertise CSI SnapshotMetadata (changed blocks, alpha; devicemapper) for external-snapshot-metadata',
      })
      .epilogue(
        'Docker: the daemon writes <docker-plugin-dir>/<plugin-name>.spec pointing at its socket and removes it on exit, ' +
          'so `docker volume create -d convoy` and `docker run -v db:/data --volume-driver=convoy` work with no manual step. ' +
          "Restoring with `docker volume create -o backup=URL` must finish within Docker's ~120 s timeout; restore large backups with `convoy create --backup` first. " +
          'Schedules (`convoy schedule create`) live in <root>/schedules.json and run inside the daemon. ' +
          'SIGINT/SIGTERM stops it within about 22 s whatever the stores do (running work gets 10 s, then is cancelled; what is still running after another 10 s is named in the log and abandoned); a second signal exits at once. Either way the socket, the spec file and the root lock are removed.' +
          (driverHelp === '' ? '' : `\n\n${driverHelp}`),
      ),
  async handler(args, { out }) {
    const { logFile, logLevel, ...config } = daemonConfigFromArgs(args);
    const passphraseInEnv = process.env[PASSPHRASE_ENV] !== undefined;
    const encryptionKey = (await keyFromFileOrEnv(args.encryptionKeyFile)) ?? (args.encryptionKeyPrompt ? await promptForDaemon(out.interactive) : undefined);
    // Loaded here so that client commands never pay for the server, the drivers, fastify and the engine.
    const [{ startDaemon }, { serveUntilStopped }, { checkUserKey }, { wipeFromProcEnviron }] = await Promise.all([
      import('../../daemon/start-daemon.js'),
      import('../../daemon/stop-signal.js'),
      import('@convoy/backup-store'),
      import('../../daemon/wipe-environ.js'),
    ]);
    // The passphrase is read: wipe it from /proc/<pid>/environ too, which would show it for the daemon's life.
    const wipe = passphraseInEnv ? wipeFromProcEnviron([PASSPHRASE_ENV]) : undefined;
    const log = createJsonLogger({ level: logLevel, base: { component: 'convoy-daemon' }, ...(logFile === undefined ? {} : { file: logFile }) });
    if (wipe && 'failed' in wipe) {
      log.warn(
        `$${PASSPHRASE_ENV} could not be wiped from /proc/${process.pid}/environ (${wipe.failed}): it stays readable there; prefer --encryption-key-file`,
      );
    }
    let exitCode: number;
    try {
      const userKey = encryptionKey ? { encryptionKey: checkUserKey(encryptionKey) } : {};
      exitCode = await serveUntilStopped(() => startDaemon({ ...config, log, ...userKey }), log);
    } finally {
      log.close();
    }
    process.exit(exitCode);
  },
};
