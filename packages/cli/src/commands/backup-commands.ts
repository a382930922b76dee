import type { Argv } from 'yargs';
import type { EncryptionKeyParam } from '@convoy/core';
import { COMPRESSION_METHODS, durationRangeText, parsePercent, parseSize, percentRangeText, STORE_LAYOUTS, type CompressionMethod, type StoreLayout } from '@convoy/core/lite';
import type { BackupInfo } from '@convoy/plugin-server/client';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { parseDuration } from '../flag-values.js';
import { renderBackupList, renderPrune, renderRecord } from '../render.js';
import { backupForgetCommand } from './forget-commands.js';
import { oneNameCommand } from './one-name-command.js';
import { verboseAnswer } from './verbose-answer.js';
import { BACKUP_URL_FORMS } from './volume-commands.js';
import { backupEncryptionCommands, type KeyedStoreArgs } from './backup-encryption-commands.js';
import { KEY_SOURCES, withEncryptionKey } from '../encryption-key.js';
import { copy } from './backup/copy.js';

const STORE_FORMS = 'Stores: vfs:///abs/path (a local or NFS directory) or s3://bucket@region/prefix (s3://bucket/prefix takes the region from AWS_REGION).';

type StoreArgs = KeyedStoreArgs;
/** The store fields of Go's backup requests, with Convoy's EncryptionKey addition when a key was given. */
const goStore = (args: StoreArgs, key: { encryptionKey?: EncryptionKeyParam }) => ({
  ...(args.s3Endpoint === undefined ? {} : { Endpoint: args.s3Endpoint }),
  ...(key.encryptionKey === undefined ? {} : { EncryptionKey: key.encryptionKey }),
});
/** Go's non-verbose backup create printed the URL with its first `&` as `\u0026`, safe to paste in a shell. */
const shellEscaped = (url: string) => url.replace('&', '\\u0026');

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
            .option('compression', {
              choices: COMPRESSION_METHODS,
              describe: 'how blocks are compressed (default zstd for block volumes, lz4 for directory volumes; Convoy wrote gzip)',
            })
            .option('block-size', {
              type: 'string',
              describe: "the volume's backup block size, 64K to 2M, a power of two; set by its first backup to a store (default 2M, Convoy's). Smaller blocks store less after scattered writes",
            })
            .option('layout', {
              choices: STORE_LAYOUTS,
              describe:
                "how the volume's blocks are stored, set by its first backup to a store: packs (default: blocks in packs of 16 MiB, few requests) or convoy-v0.5 (one object per block, the layout Go Convoy v0.5 can restore)",
            })
            .option('encrypt', { type: 'boolean', default: false, describe: "encrypt this volume's backups in the store (chosen at its first backup there)" })
            .epilogue(
              `${STORE_FORMS} S3 credentials come from the AWS SDK's default chain (environment, ~/.aws, instance role). ` +
                "When stdout is not a terminal the URL's & is printed as \\u0026, as Go Convoy did; every command accepts both. " +
                KEY_SOURCES,
            ),
        run.action<StoreArgs & { snapshot: string; dest: string; compression?: CompressionMethod; blockSize?: string; layout?: StoreLayout; encrypt: boolean }>(async (args, { client, out }) => {
          const request = {
            SnapshotName: args.snapshot,
            URL: args.dest,
            Verbose: true,
            ...(args.compression === undefined ? {} : { Compression: args.compression }),
            ...(args.blockSize === undefined ? {} : { BlockSize: parseSize(args.blockSize, '--block-size', 'block') }),
            ...(args.layout === undefined ? {} : { Layout: args.layout }),
            ...(args.encrypt ? { Encrypt: true } : {}),
          };
          const onProgress = out.progress();
          const backup = verboseAnswer(
            await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('createBackup', { ...request, ...goStore(args, key) }, { onProgress, onSummary: out.summary() })),
          );
          out.result({ go: args.verbose ? backup : shellEscaped(backup.URL), json: backup, table: () => backup.URL });
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
          const request = { URL: args.dest, ...(args.volumeName === undefined ? {} : { VolumeName: args.volumeName }) };
          const backups = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('listBackups', { ...request, ...goStore(args, key) }));
          out.result({ go: backups, table: () => renderBackupList(backups) });
        }),
      )
      .command(
        'prune <dest>',
        'Remove blocks no backup references (left by an interrupted backup or a delete), and rewrite packs that are mostly unused',
        (c) =>
          c
            .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
            .option('grace', { type: 'string', describe: `keep unreferenced blocks younger than this (e.g. 30m, 2h) so a running backup is never raced; default 1h; ${durationRangeText('grace')}` })
            .option('max-unused', {
              type: 'string',
              describe: `pack layout: rewrite a pack once more than this share of it is unused, e.g. 10% (the default), 0% (always), 100% (never: only wholly unused packs go); ${percentRangeText('maxUnused')}`,
            })
            .epilogue(STORE_FORMS),
        run.action<StoreArgs & { dest: string; grace?: string; maxUnused?: string }>(async (args, { client, out }) => {
          const grace = args.grace === undefined ? {} : { GraceSeconds: Math.ceil(parseDuration('grace', args.grace, 'grace') / 1000) };
          const maxUnused = args.maxUnused === undefined ? {} : { MaxUnusedPercent: parsePercent(args.maxUnused, '--max-unused', 'maxUnused') };
          const onProgress = out.progress('prune');
          const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
            client.call('pruneBackups', { URL: args.dest, ...grace, ...maxUnused, ...goStore(args, key) }, { onProgress }),
          );
          out.result({ go: report, table: () => renderPrune(report) });
        }),
      );
    const withDelete = oneNameCommand<void, StoreArgs>(backupEncryptionCommands(backupForgetCommand(withCommands, run, STORE_FORMS), run).command(copy.command, copy.describe, copy.builder, run.action(copy.handler)), run, {
      verb: 'delete',
      arg: 'url',
      describe: "Delete a backup; blocks that the volume's other backups still use are kept",
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args, out) => withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('deleteBackup', { URL: url, ...goStore(args, key) })),
      print: (_, url) => ({ go: undefined, json: { deleted: url }, table: () => '' }),
    });
    return oneNameCommand<BackupInfo, StoreArgs>(withDelete, run, {
      verb: 'inspect',
      arg: 'url',
      describe: 'Show a backup: volume, snapshot, sizes, compression, times',
      epilogue: BACKUP_URL_FORMS,
      call: (client, url, args, out) => withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('inspectBackup', { URL: url, ...goStore(args, key) })),
      print: (backup) => ({ go: backup, table: () => renderRecord(backup) }),
    }).demandCommand(1, 'name a backup command: create, delete, list, inspect, prune, forget, verify, copy, init or key');
  });
}
