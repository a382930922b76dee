/** `convoy schedule create <name>`: a schedule the daemon runs: snapshot, optional backup, then retention. */

import { COMPRESSION_METHODS, type CompressionMethod, ConvoyError, durationRangeText, STORE_LAYOUTS, type StoreLayout } from '@convoy/core/lite';
import type { ScheduleSpec } from '@convoy/volume-service';
import type { CommandModule } from '../command-module.js';
import { BACKUP_STORES_HELP, backupStoresOf } from '../shared/backup-stores.js';
import { type KeepArgs, policyFromArgs, RETENTION_EPILOGUE, withKeepOptions } from '../shared/retention-flags.js';

interface CreateArgs extends KeepArgs {
  name: string;
  volume?: string;
  standby?: string;
  follow?: string;
  every?: string;
  cron?: string;
  timezone?: string;
  jitter?: string;
  backup?: string | string[];
  compression?: CompressionMethod;
  layout?: StoreLayout;
  s3Endpoint?: string;
  consistent?: boolean;
}

function specFromArgs(args: CreateArgs): ScheduleSpec {
  if ((args.volume === undefined) === (args.standby === undefined) || (args.standby === undefined) !== (args.follow === undefined)) {
    throw new ConvoyError('INVALID_ARGUMENT', 'give --volume VOLUME (snapshots and backups), or --standby VOLUME with --follow STORE (keep a standby in sync)');
  }
  const spec: ScheduleSpec = { name: args.name, volume: (args.volume ?? args.standby)! };
  if (args.follow !== undefined) spec.follow = { store: args.follow, ...(args.s3Endpoint ? { endpoint: args.s3Endpoint } : {}) };
  if (args.every !== undefined) spec.every = args.every;
  if (args.cron !== undefined) spec.cron = args.cron;
  if (args.timezone !== undefined) spec.timezone = args.timezone;
  if (args.jitter !== undefined) spec.jitter = args.jitter;
  if (args.consistent) spec.consistent = true;
  if (args.backup !== undefined) {
    Object.assign(
      spec,
      backupStoresOf(args.backup, {
        ...(args.compression ? { compression: args.compression } : {}),
        ...(args.s3Endpoint ? { endpoint: args.s3Endpoint } : {}),
        ...(args.layout ? { layout: args.layout } : {}),
      }),
    );
  } else if (args.compression !== undefined || (args.s3Endpoint !== undefined && args.follow === undefined) || args.layout !== undefined) {
    throw new ConvoyError('INVALID_ARGUMENT', '--compression, --layout and --s3-endpoint only apply with --backup STORE');
  }
  const keep = policyFromArgs(args);
  if (Object.keys(keep).length > 0) spec.keep = keep;
  return spec;
}

export const create: CommandModule<CreateArgs> = {
  command: 'create <name>',
  describe: 'Create a schedule: each run takes a snapshot, backs it up when --backup is given, then applies the --keep-* policy',
  builder: (c) =>
    withKeepOptions(
      c.positional('name', { type: 'string', demandOption: true, describe: 'the schedule name (it prefixes the snapshots it makes)' }),
      'snapshots and backups',
    )
      .option('volume', { type: 'string', describe: 'the volume to protect' })
      .option('standby', { type: 'string', describe: 'instead of --volume: the standby volume to keep in sync with --follow' })
      .option('follow', {
        type: 'string',
        describe:
          "with --standby: each run syncs the standby to its source's newest backup in this store (no snapshot, no backup, no retention). " +
          "Like a backup schedule it holds no key: an encrypted store is opened with the daemon's own (convoy daemon --encryption-key-file)",
      })
      .option('every', { type: 'string', describe: `run at this interval: 30m, 1h, 1d (${durationRangeText('interval')})` })
      .option('cron', { type: 'string', describe: 'run when this crontab expression matches, e.g. "0 3 * * *" (5 fields, or 6 with seconds first)' })
      .option('timezone', { type: 'string', describe: 'IANA zone of --cron, e.g. Europe/Berlin (default UTC)' })
      .option('consistent', {
        type: 'boolean',
        describe: "take each snapshot as `snapshot create --consistent` does: the containers' pre- and post-snapshot hooks run around it",
      })
      .option('jitter', {
        type: 'string',
        describe: `start each run up to this much later, at random (e.g. 5m), to spread hosts sharing a store (${durationRangeText('jitter')})`,
      })
      .option('backup', { type: 'string', describe: BACKUP_STORES_HELP })
      .option('compression', {
        choices: COMPRESSION_METHODS,
        describe:
          'compression of those backups (default zstd for block volumes, lz4 for directory volumes; a convoy-v0.5 volume keeps the compression of its backups)',
      })
      .option('layout', {
        choices: STORE_LAYOUTS,
        describe: "how those backups store blocks: packs (default) or convoy-v0.5 (Go Convoy can restore it); set by the volume's first backup to the store",
      })
      .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint for MinIO and other S3-compatible servers' })
      .epilogue(
        `Retention runs after each successful run: on the snapshots this schedule made (never others), and with --backup on ALL backups of the volume in that store. A failed run removes nothing. ${RETENTION_EPILOGUE} ` +
          'Schedules survive daemon restarts; a run due while the daemon was down happens once at start; runs of one schedule never overlap.',
      ),
  async handler(args, { client, out }) {
    const view = await client.call('createSchedule', specFromArgs(args));
    out.result({ go: view, table: () => `${view.name}: next run ${view.nextRunAt ?? 'never'}` });
  },
};
