/** `convoy backup create <snapshot> --dest STORE`: an incremental backup; prints its URL as Go Convoy did. */
import { COMPRESSION_METHODS, type CompressionMethod, parseSize, STORE_LAYOUTS, type StoreLayout } from '@convoy/core/lite';
import { KEY_SOURCES, withEncryptionKey } from '../../encryption-key.js';
import type { CommandModule } from '../command-module.js';
import { goStore, type KeyedStoreArgs, STORE_FORMS } from '../shared/store-args.js';
import { verboseAnswer } from '../shared/verbose-answer.js';

/** Go's non-verbose backup create printed the URL with its first `&` as `\u0026`, safe to paste in a shell. */
const shellEscaped = (url: string) => url.replace('&', '\\u0026');

type CreateArgs = KeyedStoreArgs & {
  snapshot: string;
  dest: string;
  compression?: CompressionMethod;
  blockSize?: string;
  layout?: StoreLayout;
  encrypt: boolean;
};

export const create: CommandModule<CreateArgs> = {
  command: 'create <snapshot>',
  describe: 'Back a snapshot up, incrementally (only blocks the store lacks are uploaded); prints the backup URL',
  builder: (c) =>
    c
      .positional('snapshot', { type: 'string', demandOption: true })
      .option('dest', { type: 'string', demandOption: true, describe: 'the store URL to back up to' })
      .option('compression', {
        choices: COMPRESSION_METHODS,
        describe:
          'how blocks are compressed (default zstd for block volumes, lz4 for directory volumes; a convoy-v0.5 volume keeps the compression of its backups, gzip in Go Convoy stores)',
      })
      .option('block-size', {
        type: 'string',
        describe:
          "the volume's backup block size, 64K to 2M, a power of two; set by its first backup to a store (default 2M, Convoy's). Smaller blocks store less after scattered writes",
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
  async handler(args, { client, out }) {
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
      await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
        client.call('createBackup', { ...request, ...goStore(args, key) }, { onProgress, onSummary: out.summary() }),
      ),
    );
    out.result({ go: args.verbose ? backup : shellEscaped(backup.URL), json: backup, table: () => backup.URL });
  },
};
