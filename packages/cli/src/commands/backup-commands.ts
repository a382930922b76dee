import type { Argv } from 'yargs';
import { COMPRESSION_METHODS, type BackupSummary, type CompressionMethod } from '@convoy/core';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { parseDuration } from '../flag-values.js';
import { renderBackupList, renderPrune, renderRecord } from '../render.js';
import { backupForgetCommand } from './forget-commands.js';
import { oneNameCommand } from './one-name-command.js';
import { BACKUP_URL_FORMS } from './volume-commands.js';
import { backupEncryptionCommands, storeParams, type KeyedStoreArgs } from './backup-encryption-commands.js';
import { KEY_SOURCES, withEncryptionKey } from '../encryption-key.js';

const STORE_FORMS = 'Stores: vfs:///abs/path (a local or NFS directory) or s3://bucket@region/prefix (s3://bucket/prefix takes the region from AWS_REGION).';

type StoreArgs = KeyedStoreArgs;

export function backupCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('backup', 'Back snapshots up to a store, and list, inspect, delete, prune and forget backups', (parent) => {
    const withCommands = parent
      .option('s3-endpoint', {
        type: 'string',
        describe: 'S3 endpoint for MinIO and other S3-compatible servers (path-style); before or after the subcommand',
      })
      .option('encryption-key-file', {
        type: 'string',
        describe: "the key of an encrypted store (else $CONVOY_ENCRYPTION_KEY_FILE, $CONVOY_ENCRYPTION_PASSPHRASE, a prompt, or the daemon's key)",
      })
      .command(
        'create <snapshot>',
        'Back a snapshot up, incrementally (only blocks the store lacks are uploaded); prints the backup URL',
        (c) =>
          c
            .positional('snapshot', { type: 'string', demandOption: true })
            .option('dest', { type: 'string', demandOption: true, describe: 'the store URL to back up to' })
            .option('compression', { choices: COMPRESSION_METHODS, describe: 'how blocks are compressed (default lz4; Convoy wrote gzip)' })
            .option('encrypt', { type: 'boolean', default: false, describe: "encrypt this volume's backups in the store (chosen at its first backup there)" })
            .epilogue(`${STORE_FORMS} S3 credentials come from the AWS SDK's default chain (environment, ~/.aws, instance role). ${KEY_SOURCES}`),
        run.action<StoreArgs & { snapshot: string; dest: string; compression?: CompressionMethod; encrypt: boolean }>(async (args, { client, out }) => {
          const req = { snapshot: args.snapshot, dest: args.dest, ...storeParams(args), ...(args.encrypt ? { encrypt: true } : {}) };
          const progress = out.progress();
          const backup = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
            client.createBackup(args.compression === undefined ? { ...req, ...key } : { ...req, ...key, compression: args.compression }, progress),
          );
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
          const backups = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.listBackups(args.dest, { ...params, ...key }));
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
          const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.pruneBackups(args.dest, { ...params, ...key }));
          out.result(report, () => renderPrune(report));
        }),
      );
    const withDelete = oneNameCommand<void, StoreArgs>(backupEncryptionCommands(backupForgetCommand(withCommands, run, STORE_FORMS), run), run, {
      verb: 'delete',
      arg: 'url',
      describe: "Delete a backup; blocks that the volume's other backups still use are kept",
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args, out) => withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.deleteBackup(url, { ...storeParams(args), ...key })),
      json: (_, url) => ({ deleted: url }),
      human: () => '',
    });
    return oneNameCommand<BackupSummary, StoreArgs>(withDelete, run, {
      verb: 'inspect',
      arg: 'url',
      describe: 'Show a backup: volume, snapshot, sizes, compression, times',
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args, out) => withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.inspectBackup(url, { ...storeParams(args), ...key })),
      json: (backup) => backup,
      human: (backup) => renderRecord(backup),
    }).demandCommand(1, 'name a backup command: create, delete, list, inspect, prune, forget, verify, init or key');
  });
}
