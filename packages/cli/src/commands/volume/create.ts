/** `convoy create [name]`: a new volume, empty or restored from a backup; prints its name as Go Convoy did. */
import { ConvoyError, countRangeText, parseCount, parseSize, sizeRangeText } from '@convoy/core/lite';
import type { VolumeCreateRequest } from '@convoy/plugin-server/client';
import { withEncryptionKey } from '../../encryption-key.js';
import { parseKeyValues } from '../../flag-values.js';
import type { CommandModule } from '../command-module.js';
import { BACKUP_URL_FORMS } from '../shared/store-args.js';
import { verboseAnswer } from '../shared/verbose-answer.js';

const NAME_RULES = 'Names: 2-128 characters from [a-zA-Z0-9_.-], starting with a letter or digit.';

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
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      '--backup is empty (an unset variable?): give a backup URL to restore, or leave --backup out; nothing was created',
    );
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

export const create: CommandModule<CreateArgs> = {
  command: 'create [name]',
  describe: 'Create a volume (or restore a backup into a new volume); prints its name',
  builder: (c) =>
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
      .option('standby', {
        type: 'boolean',
        describe:
          'keep the restored --backup a standby: it refuses mounts, writes, snapshots and backups, and follows its source with `convoy standby sync` until `convoy standby activate`. ' +
          "An --encryption-key-file is used for this restore only, never kept: each `standby sync` takes it again unless the daemon's own key opens the store",
      })
      .epilogue(`The volume's data lives where its driver keeps it (vfs: a directory under vfs.path). ${NAME_RULES} ${BACKUP_URL_FORMS}`),
  async handler(args, { client, out }) {
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
    if (reused)
      out.notice(
        `${volume.Name} reuses the data kept in ${reused} (a reference-only delete such as \`docker volume rm\` keeps it); \`convoy delete ${volume.Name}\` removes it for good`,
      );
    out.result({ go: args.verbose ? volume : volume.Name, json: volume, table: () => volume.Name });
  },
};
