// `convoy backup copy`: the 3-2-1 rule's second copy. The daemon copies the backups another store
// lacks (core's backup/copy.ts); this file is the flags, the keys and what is printed.

import type { CopyReport } from '@convoy/backup-store';
import { isConvoyError, STORE_LAYOUTS, type StoreLayout } from '@convoy/core/lite';
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
          'command again and it goes on. Without --volume-name, a volume that cannot be copied (a damaged or missing record or block, ' +
          'a refusal below, a key the daemon lacks, a lock another process holds) is skipped and the other volumes are still copied; ' +
          'each volume is reported on its own line, and the command then fails (exit 1) naming every volume that was not copied, so a ' +
          'schedule or script notices; --json puts the whole report in the error. A cancel or a failing store stops the copy at once. ' +
          "With --volume-name or --backup, that volume's error ends the command as it is. Encrypted volumes are decrypted with the key of --from and sealed with the key of --to (made for a " +
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
    ).catch((err: unknown) => {
      // Some volumes failed: each volume's outcome on its own line, then the error (under --json its details carry the report).
      const partial = partialReport(err);
      if (partial) {
        out.endProgress();
        for (const line of renderVolumes(partial)) out.notice(line);
      }
      throw err;
    });
    out.result({ go: report, table: () => renderCopy(report) });
  },
};

/** The report a whole-store copy that failed for some volumes carries in its error's details (copy-outcomes.ts). */
function partialReport(err: unknown): CopyReport | undefined {
  if (!isConvoyError(err) || !Array.isArray(err.details?.failed)) return undefined;
  const report = err.details.report as CopyReport | undefined;
  return Array.isArray(report?.volumes) ? report : undefined;
}

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
  // Each volume's line when the copy went through several (a whole store).
  if (report.volumes.length > 1) lines.push(...renderVolumes(report));
  lines.push(
    `${report.copied.length} backup(s) copied, ${report.skipped} already there; ${formatBytes(report.bytesCopied)} transferred in ${report.blocksCopied} block(s) and ${report.archivesCopied} archive(s); ${report.blocksReused} block(s) the target already held`,
  );
  return lines.join('\n');
}

/** One line per volume: what it copied, or why it could not be copied. */
export function renderVolumes(report: CopyReport): string[] {
  return report.volumes.map((v) =>
    v.error
      ? `volume ${v.volumeName} NOT copied: ${v.error.code}: ${v.error.message}${v.copied > 0 ? ` (${v.copied} backup(s) copied before it failed)` : ''}`
      : `volume ${v.volumeName}: ${v.copied} backup(s) copied, ${v.skipped} already there, ${formatBytes(v.bytesCopied)}`,
  );
}
