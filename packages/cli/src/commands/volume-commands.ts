import type { Argv } from 'yargs';
import { ConvoyError, countRangeText, parseCount, parseSize, sizeRangeText, toConvoyError } from '@convoy/core/lite';
import type { VolumeCreateRequest, VolumeResponse } from '@convoy/plugin-server/client';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { formatBytes } from '../bytes.js';
import { parseKeyValues } from '../flag-values.js';
import { renderInfo, renderRecord, renderVolumeList } from '../render.js';
import { oneNameCommand } from './one-name-command.js';
import { verboseAnswer } from './verbose-answer.js';
import { withEncryptionKey } from '../encryption-key.js';

const NAME_RULES = 'Names: 2-128 characters from [a-zA-Z0-9_.-], starting with a letter or digit.';
export const BACKUP_URL_FORMS =
  'Backup URLs: <store>?backup=<name>&volume=<name>, where <store> is vfs:///abs/path (a local or NFS directory) ' +
  'or s3://bucket@region/prefix (or s3://bucket/prefix with the region from AWS_REGION). ' +
  "Quote them in the shell; Convoy's \\u0026 spelling of & is accepted too.";

interface CreateArgs {
  name?: string;
  driver?: string;
  size?: string;
  backup?: string;
  s3Endpoint?: string;
  id?: string;
  type?: string;
  iops?: string;
  vm: boolean;
  opt?: string[];
  encryptionKeyFile?: string;
  standby?: boolean;
}

function createRequest(args: CreateArgs): VolumeCreateRequest {
  const request: VolumeCreateRequest = { Verbose: true };
  if (args.name !== undefined) request.Name = args.name;
  if (args.driver !== undefined) request.DriverName = args.driver;
  if (args.size !== undefined) request.Size = parseSize(args.size, '--size', 'volume');
  if (args.backup === '') {
    // The API reads "" as "no backup" (Go's client sends it for every plain create), so the refusal is here.
    throw new ConvoyError('INVALID_ARGUMENT', '--backup is empty (an unset variable?): give a backup URL to restore, or leave --backup out; nothing was created');
  }
  if (args.backup !== undefined) request.BackupURL = args.backup;
  if (args.s3Endpoint !== undefined) request.Endpoint = args.s3Endpoint;
  if (args.id !== undefined) request.DriverVolumeID = args.id;
  if (args.type !== undefined) request.Type = args.type;
  if (args.iops !== undefined) request.IOPS = parseCount(args.iops, '--iops', 'iops');
  if (args.vm) request.PrepareForVM = true;
  if (args.opt !== undefined) request.Options = parseKeyValues('opt', args.opt);
  if (args.standby) request.Standby = true;
  return request;
}

export function volumeCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  const upToMount = y
    .command(
      'info',
      'Show the daemon: version, root, drivers and what each driver reports',
      (c) => c,
      run.action(async (_args, { client, out }) => {
        const info = await client.call('info', undefined);
        out.result({ go: info, table: () => renderInfo(info) });
      }),
    )
    .command(
      'create [name]',
      'Create a volume (or restore a backup into a new volume); prints its name',
      (c) =>
        c
          .positional('name', { type: 'string', describe: 'volume name; generated (volume-<16 hex>) when omitted' })
          .option('driver', { type: 'string', describe: "driver to create it with; the daemon's default (its first --drivers) when omitted" })
          .option('size', { type: 'string', describe: `size in bytes or with k/m/g/t/p (e.g. 10g; ${sizeRangeText('volume')}); the driver default when omitted` })
          .option('backup', { type: 'string', describe: 'restore this backup URL into the new volume' })
          .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint for --backup (MinIO and other S3-compatible servers)' })
          .option('vm', { type: 'boolean', default: false, describe: 'prepare the volume for a virtual machine (vfs: a disk image of --size in it)' })
          .option('id', { type: 'string', describe: "the driver's own volume id, for drivers that adopt existing volumes (Go Convoy's EBS)" })
          .option('type', { type: 'string', describe: 'driver-specific volume type, for drivers that have types' })
          .option('iops', { type: 'string', describe: `provisioned IOPS, for drivers that take them (${countRangeText('iops')})` })
          .option('encryption-key-file', { type: 'string', describe: 'the key of an encrypted --backup (see convoy backup --help)' })
          .option('opt', { type: 'string', array: true, describe: 'driver-specific option key=value (repeatable)' })
          .option('standby', { type: 'boolean', describe: 'keep the restored --backup a standby: it refuses mounts, writes, snapshots and backups, and follows its source with `convoy standby sync` until `convoy standby activate`' })
          .epilogue(`The volume's data lives where its driver keeps it (vfs: a directory under vfs.path). ${NAME_RULES} ${BACKUP_URL_FORMS}`),
      run.action<CreateArgs>(async (args, { client, out }) => {
        const request = createRequest(args);
        const onProgress = out.progress();
        const answer =
          request.BackupURL === undefined
            ? await client.call('createVolume', request, { onProgress })
            : await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
                client.call('createVolume', key.encryptionKey === undefined ? request : { ...request, EncryptionKey: key.encryptionKey }, { onProgress }),
              );
        const volume = verboseAnswer(answer);
        const reused = volume.DriverInfo.ReusedData;
        if (reused) out.notice(`${volume.Name} reuses the data kept in ${reused} (a reference-only delete such as \`docker volume rm\` keeps it); \`convoy delete ${volume.Name}\` removes it for good`);
        out.result({ go: args.verbose ? volume : volume.Name, json: volume, table: () => volume.Name });
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
            await client.call('deleteVolume', { VolumeName: name, ReferenceOnly: args.reference });
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
        out.result({ go: undefined, json: { deleted, referenceOnly: args.reference }, table: () => '' });
      }),
    )
    .command(
      'resize <volume>',
      'Grow a volume and its filesystem; prints the new size',
      (c) =>
        c
          .positional('volume', { type: 'string', demandOption: true })
          .option('size', { type: 'string', demandOption: true, describe: `the new size in bytes or with k/m/g/t/p (e.g. 20g; ${sizeRangeText('volume')}); never smaller than now` })
          .epilogue(
            'Volumes only grow: a smaller size is refused and nothing changes. devicemapper grows the thin device, then the ' +
              'filesystem (at once when mounted, else at the next mount), keeping every byte; drivers without resize (vfs) refuse it.',
          ),
      run.action<{ volume: string; size: string }>(async (args, { client, out }) => {
        const volume = await client.call('resizeVolume', { VolumeName: args.volume, Size: parseSize(args.size, '--size', 'volume') });
        out.result({ go: volume, table: () => `${volume.Name} ${formatBytes(Number(volume.DriverInfo.Size))}` });
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
        const mounted = verboseAnswer(
          await client.call('mountVolume', { VolumeName: args.volume, Verbose: true, ...(args.mountpoint === undefined ? {} : { MountPoint: args.mountpoint }) }),
        );
        out.result({ go: args.verbose ? mounted : mounted.MountPoint, json: mounted, table: () => mounted.MountPoint });
      }),
    );
  const withUmount = oneNameCommand(upToMount, run, {
    verb: 'umount',
    arg: 'volume',
    describe: 'Unmount a volume',
    call: (client, name) => client.call('umountVolume', { VolumeName: name }),
    print: (_, name) => ({ go: undefined, json: { name }, table: () => '' }),
  });
  const withList = withUmount.command(
    'list',
    'List every volume of every driver',
    (c) => c.option('driver', { type: 'boolean', default: false, describe: "show each volume's raw driver facts instead (Go Convoy's list --driver)" }),
    run.action<{ driver: boolean }>(async (args, { client, out }) => {
      const volumes = await client.call('listVolumes', undefined, args.driver ? { query: 'driver=1' } : {});
      out.result({ go: volumes, table: () => (args.driver ? renderRecord(volumes) : renderVolumeList(volumes as Record<string, VolumeResponse>)) });
    }),
  );
  return oneNameCommand(withList, run, {
    verb: 'inspect',
    arg: 'volume',
    describe: 'Show a volume: driver, mountpoint, snapshots and driver facts',
    call: (client, name) => client.call('inspectVolume', { VolumeName: name }),
    print: (volume) => ({ go: volume, table: () => renderRecord(volume) }),
  });
}
