import type { Argv } from 'yargs';
import { ConvoyError, parseSize, toConvoyError, type CreateVolumeParams } from '@convoy/core';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { formatBytes } from '../bytes.js';
import { parseKeyValues } from '../flag-values.js';
import { renderInfo, renderRecord, renderVolumeList } from '../render.js';
import { oneNameCommand } from './one-name-command.js';
import { withEncryptionKey } from '../encryption-key.js';

const NAME_RULES = 'Names: 2-128 characters from [a-zA-Z0-9_.-], starting with a letter or digit.';
export const BACKUP_URL_FORMS =
  'Backup URLs: <store>?backup=<name>&volume=<name>, where <store> is vfs:///abs/path (a local or NFS directory) ' +
  'or s3://bucket@region/prefix (or s3://bucket/prefix with the region from AWS_REGION). ' +
  "Quote them in the shell; Convoy's \\u0026 spelling of & is accepted too.";

export function volumeCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  const upToMount = y
    .command(
      'info',
      'Show the daemon: version, root, drivers and what each driver reports',
      (c) => c,
      run.action(async (_args, { client, out }) => {
        const info = await client.info();
        out.result(info, () => renderInfo(info));
      }),
    )
    .command(
      'create [name]',
      'Create a volume (or restore a backup into a new volume); prints its name',
      (c) =>
        c
          .positional('name', { type: 'string', describe: 'volume name; generated (volume-<16 hex>) when omitted' })
          .option('driver', { type: 'string', describe: "driver to create it with; the daemon's default (its first --drivers) when omitted" })
          .option('size', { type: 'string', describe: 'size in bytes or with k/m/g/t (e.g. 10g); the driver default when omitted' })
          .option('backup', { type: 'string', describe: 'restore this backup URL into the new volume' })
          .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint for --backup (MinIO and other S3-compatible servers)' })
          .option('encryption-key-file', { type: 'string', describe: 'the key of an encrypted --backup (see convoy backup --help)' })
          .option('opt', { type: 'string', array: true, describe: 'driver-specific option key=value (repeatable)' })
          .epilogue(`The volume's data lives where its driver keeps it (vfs: a directory under vfs.path). ${NAME_RULES} ${BACKUP_URL_FORMS}`),
      run.action<{ name?: string; driver?: string; size?: string; backup?: string; s3Endpoint?: string; opt?: string[]; encryptionKeyFile?: string }>(async (args, { client, out }) => {
        const params: CreateVolumeParams = {};
        if (args.name !== undefined) params.name = args.name;
        if (args.driver !== undefined) params.driver = args.driver;
        if (args.size !== undefined) params.size = parseSize(args.size, '--size');
        if (args.backup !== undefined) params.backupUrl = args.backup;
        if (args.s3Endpoint !== undefined) params.endpoint = args.s3Endpoint;
        if (args.opt !== undefined) params.options = parseKeyValues('opt', args.opt);
        const progress = out.progress();
        const volume =
          params.backupUrl === undefined
            ? await client.createVolume(params, progress)
            : await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.createVolume({ ...params, ...key }, progress));
        out.result(volume, () => volume.name);
      }),
    )
    .command(
      'delete <volumes..>',
      'Delete volumes and their data (or, with --reference, only forget them)',
      (c) =>
        c
          .positional('volumes', { type: 'string', array: true, demandOption: true, describe: 'volume names' })
          .option('reference', {
            alias: 'r',
            type: 'boolean',
            default: false,
            describe: "delete only Convoy's reference: the volume leaves Convoy but its data stays where the driver keeps it",
          })
          .epilogue("Without --reference the volume's data is destroyed. `docker volume rm` deletes by reference only."),
      run.action<{ volumes: string[]; reference: boolean }>(async (args, { client, out }) => {
        const deleted: string[] = [];
        const failed: Array<{ name: string; error: ConvoyError }> = [];
        // One request per volume, as Convoy did; a failure does not stop the others.
        for (const name of args.volumes) {
          try {
            await client.deleteVolume(name, { referenceOnly: args.reference });
            deleted.push(name);
          } catch (err) {
            failed.push({ name, error: toConvoyError(err) });
          }
        }
        if (failed.length === 1 && deleted.length === 0) throw failed[0]?.error;
        if (failed.length > 0) {
          throw new ConvoyError(failed[0]?.error.code ?? 'INTERNAL', `could not delete ${failed.length} of ${args.volumes.length} volumes: ${failed.map((f) => f.error.message).join('; ')}`, {
            details: { deleted, failed: failed.map((f) => ({ name: f.name, ...f.error.toJSON() })) },
          });
        }
        out.result({ deleted, referenceOnly: args.reference }, () => '');
      }),
    )
    .command(
      'resize <volume>',
      'Grow a volume and its filesystem; prints the new size',
      (c) =>
        c
          .positional('volume', { type: 'string', demandOption: true })
          .option('size', { type: 'string', demandOption: true, describe: 'the new size in bytes or with k/m/g/t (e.g. 20g); never smaller than now' })
          .epilogue(
            'Volumes only grow: a smaller size is refused and nothing changes. devicemapper grows the thin device, then the ' +
              'filesystem (at once when mounted, else at the next mount), keeping every byte; drivers without resize (vfs) refuse it.',
          ),
      run.action<{ volume: string; size: string }>(async (args, { client, out }) => {
        const volume = await client.resizeVolume(args.volume, parseSize(args.size, '--size'));
        out.result(volume, () => `${volume.name} ${formatBytes(volume.size)}`);
      }),
    )
    .command(
      'mount <volume>',
      'Mount a volume; prints its mountpoint',
      (c) =>
        c
          .positional('volume', { type: 'string', demandOption: true })
          .option('mountpoint', { type: 'string', describe: "where to mount it; the driver's default place when omitted (vfs refuses any other)" }),
      run.action<{ volume: string; mountpoint?: string }>(async (args, { client, out }) => {
        const mountpoint = await client.mountVolume(args.volume, args.mountpoint === undefined ? {} : { mountpoint: args.mountpoint });
        out.result({ name: args.volume, mountpoint }, () => mountpoint);
      }),
    );
  const withUmount = oneNameCommand(upToMount, run, {
    verb: 'umount',
    arg: 'volume',
    describe: 'Unmount a volume',
    call: (client, name) => client.umountVolume(name),
    json: (_, name) => ({ name }),
    human: () => '',
  });
  const withList = withUmount
    .command(
      'list',
      'List every volume of every driver',
      (c) => c,
      run.action(async (_args, { client, out }) => {
        const volumes = await client.listVolumes();
        out.result(volumes, () => renderVolumeList(volumes));
      }),
    );
  return oneNameCommand(withList, run, {
    verb: 'inspect',
    arg: 'volume',
    describe: 'Show a volume: driver, size, mountpoint, snapshots and driver facts',
    call: (client, name) => client.getVolume(name),
    json: (volume) => volume,
    human: (volume) => renderRecord(volume),
  });
}
