import type { Argv } from 'yargs';
import { parseSize, type BackupSummary, type CompressionMethod } from '@convoy/core';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { parseDuration } from '../flag-values.js';
import { renderBackupList, renderPrune, renderRecord } from '../render.js';
import { oneNameCommand } from './one-name-command.js';
import { BACKUP_URL_FORMS } from './volume-commands.js';

const STORE_FORMS = 'Stores: vfs:///abs/path (a local or NFS directory) or s3://bucket@region/prefix (s3://bucket/prefix takes the region from AWS_REGION).';

interface StoreArgs {
  s3Endpoint?: string;
}
const storeParams = (args: StoreArgs) => (args.s3Endpoint === undefined ? {} : { endpoint: args.s3Endpoint });

export function backupCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('backup', 'Back snapshots up to a store, and list, inspect, delete and prune backups', (parent) => {
    const withCommands = parent
      .option('s3-endpoint', {
        type: 'string',
        describe: 'S3 endpoint for MinIO and other S3-compatible servers (path-style); before or after the subcommand',
      })
      .command(
        'create <snapshot>',
        'Back a snapshot up, incrementally (only blocks the store lacks are uploaded); prints the backup URL',
        (c) =>
          c
            .positional('snapshot', { type: 'string', demandOption: true })
            .option('dest', { type: 'string', demandOption: true, describe: 'the store URL to back up to' })
            .option('compression', {
              choices: ['lz4', 'zstd', 'gzip', 'none'] as const,
              describe: 'how blocks are compressed (default zstd for block volumes, lz4 for directory volumes; Convoy wrote gzip)',
            })
            .option('block-size', {
              type: 'string',
              describe: "the volume's backup block size, 64K to 2M, a power of two; set by its first backup to a store (default 2M, Convoy's). Smaller blocks store less after scattered writes",
            })
            .epilogue(`${STORE_FORMS} S3 credentials come from the AWS SDK's default chain (environment, ~/.aws, instance role).`),
        run.action<StoreArgs & { snapshot: string; dest: string; compression?: CompressionMethod; blockSize?: string }>(async (args, { client, out }) => {
          const req = {
            snapshot: args.snapshot,
            dest: args.dest,
            ...storeParams(args),
            ...(args.compression === undefined ? {} : { compression: args.compression }),
            ...(args.blockSize === undefined ? {} : { blockSize: parseSize(args.blockSize, '--block-size') }),
          };
          const backup = await client.createBackup(req, out.progress());
          out.result(backup, () => backup.url);
        }),
      )
      .command(
        'list <dest>',
        'List the backups in a store',
        (c) =>
          c
            .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
            .option('volume-name', { type: 'string', describe: 'only the backups of this volume' })
            .epilogue(STORE_FORMS),
        run.action<StoreArgs & { dest: string; volumeName?: string }>(async (args, { client, out }) => {
          const params = args.volumeName === undefined ? storeParams(args) : { ...storeParams(args), volumeName: args.volumeName };
          const backups = await client.listBackups(args.dest, params);
          out.result(backups, () => renderBackupList(backups));
        }),
      )
      .command(
        'prune <dest>',
        'Remove blocks no backup references (left by an interrupted backup)',
        (c) =>
          c
            .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
            .option('grace', { type: 'string', describe: 'keep unreferenced blocks younger than this (e.g. 30m, 2h) so a running backup is never raced; default 1h' })
            .epilogue(STORE_FORMS),
        run.action<StoreArgs & { dest: string; grace?: string }>(async (args, { client, out }) => {
          const params = args.grace === undefined ? storeParams(args) : { ...storeParams(args), graceSeconds: Math.ceil(parseDuration('grace', args.grace) / 1000) };
          const report = await client.pruneBackups(args.dest, params);
          out.result(report, () => renderPrune(report));
        }),
      );
    const withDelete = oneNameCommand<void, StoreArgs>(withCommands, run, {
      verb: 'delete',
      arg: 'url',
      describe: "Delete a backup; blocks that the volume's other backups still use are kept",
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args) => client.deleteBackup(url, storeParams(args)),
      json: (_, url) => ({ deleted: url }),
      human: () => '',
    });
    return oneNameCommand<BackupSummary, StoreArgs>(withDelete, run, {
      verb: 'inspect',
      arg: 'url',
      describe: 'Show a backup: volume, snapshot, sizes, compression, times',
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args) => client.inspectBackup(url, storeParams(args)),
      json: (backup) => backup,
      human: (backup) => renderRecord(backup),
    }).demandCommand(1, 'name a backup command: create, delete, list, inspect or prune');
  });
}
