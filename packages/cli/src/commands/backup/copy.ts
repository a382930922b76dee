// `convoy backup copy`: the 3-2-1 rule's second copy. The daemon copies the backups another store
// lacks (core's backup/copy.ts); this file is the flags, the keys and what is printed.

import type { CopyReport } from '@convoy/backup-store';
import { STORE_LAYOUTS, type StoreLayout } from '@convoy/core/lite';
import type { EncryptionKeyParam } from '@convoy/volume-service';
import type { Argv } from 'yargs';
import { formatBytes } from '../../bytes.js';
import type { CommandArgs, CommandContext, GlobalArgs } from '../../command-context.js';
import { KEY_SOURCES, keyFromFileOrEnv, keyParam, withEncryptionKey } from '../../encryption-key.js';

/** Where the target's key comes from when it is not the source's (never an argument: `ps` shows those). */
export const TARGET_KEY_FILE_ENV = 'CONVOY_TARGET_ENCRYPTION_KEY_FILE';
export const TARGET_PASSPHRASE_ENV = 'CONVOY_TARGET_ENCRYPTION_PASSPHRASE';

interface CopyArgs {
  /** The `backup` noun's store flags. */
  s3Endpoint?: string;
  encryptionKeyFile?: string;
  from: string;
  to: string;
  volumeName?: string;
  backup?: string;
  toS3Endpoint?: string;
  toEncryptionKeyFile?: string;
  encrypt: boolean;
  layout?: StoreLayout;
}

/** A yargs command module, { command, describe, builder, handler }: the `backup` noun lists it. */
export const copy = {
  command: 'copy',
  describe: 'Copy the backups another store lacks (3-2-1): only data the target lacks moves; names and times are kept; run it again to resume',
  builder: (c: Argv<GlobalArgs>) =>
    c
      .option('from', { type: 'string', demandOption: true, describe: 'the store URL to copy from' })
      .option('to', { type: 'string', demandOption: true, describe: 'the store URL to copy to' })
      .option('volume-name', { type: 'string', describe: 'only the backups of this volume (default: every volume in --from)' })
      .option('backup', { type: 'string', describe: 'only this backup (its URL in --from)' })
      .option('to-s3-endpoint', { type: 'string', describe: 'S3 endpoint of --to when it differs from --s3-endpoint' })
      .option('to-encryption-key-file', {
        type: 'string',
        describe: `the key of --to when it is not the key of --from (else $${TARGET_KEY_FILE_ENV}, $${TARGET_PASSPHRASE_ENV}, else the key of --from)`,
      })
      .option('encrypt', { type: 'boolean', default: false, describe: 'seal unencrypted backups for a --to that holds their volume encrypted' })
      .option('layout', { choices: STORE_LAYOUTS, describe: 'how a volume new to --to stores its blocks (default packs; an existing volume keeps its own)' })
      .epilogue(
        'The daemon copies every backup of the volume(s) that --to lacks, oldest first: it fetches only the blocks --to does not hold, ' +
          'checks each against its checksum, re-seals it for --to, and writes the backup record last, so `backup list` shows the same ' +
          'names and times in both stores and an interrupted copy (Ctrl-C, a crash, a failed upload) leaves no half backup: run the same ' +
          'command again and it goes on. Encrypted volumes are decrypted with the key of --from and sealed with the key of --to (made for a ' +
          'store without keys, as backup create --encrypt does); keys never leave the daemon. An encrypted volume is refused for a --to ' +
          `that holds it unencrypted. ${KEY_SOURCES}`,
      ),
  async handler(args: CommandArgs<CopyArgs>, { client, out }: CommandContext): Promise<void> {
    const target = await keyFromFileOrEnv(args.toEncryptionKeyFile, process.env, { file: TARGET_KEY_FILE_ENV, passphrase: TARGET_PASSPHRASE_ENV });
    const request = {
      from: args.from,
      to: args.to,
      ...(args.volumeName === undefined ? {} : { volumeName: args.volumeName }),
      ...(args.backup === undefined ? {} : { backupUrl: args.backup }),
      ...endpoints(args),
      ...(target ? { targetEncryptionKey: keyParam(target) } : {}),
      ...(args.encrypt ? { encrypt: true } : {}),
      ...(args.layout === undefined ? {} : { layout: args.layout }),
    };
    const onProgress = out.progress('copy');
    const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key: { encryptionKey?: EncryptionKeyParam }) =>
      client.call('copyBackups', { ...request, ...key }, { onProgress, onSummary: out.summary() }),
    );
    out.result({ go: report, table: () => renderCopy(report) });
  },
};

/** --s3-endpoint goes to whichever store is on S3; --to-s3-endpoint overrides it for --to. */
function endpoints(args: CopyArgs): { fromEndpoint?: string; toEndpoint?: string } {
  const s3 = (url: string) => url.startsWith('s3://');
  const to = args.toS3Endpoint ?? (s3(args.to) ? args.s3Endpoint : undefined);
  return {
    ...(args.s3Endpoint !== undefined && s3(args.from) ? { fromEndpoint: args.s3Endpoint } : {}),
    ...(to === undefined ? {} : { toEndpoint: to }),
  };
}

export function renderCopy(report: CopyReport): string {
  const lines = report.copied.map((c) => `copied ${c.backupName} (volume ${c.volumeName})`);
  lines.push(
    `${report.copied.length} backup(s) copied, ${report.skipped} already there; ${formatBytes(report.bytesCopied)} transferred in ${report.blocksCopied} block(s) and ${report.archivesCopied} archive(s); ${report.blocksReused} block(s) the target already held`,
  );
  return lines.join('\n');
}
