/** `convoy backup forget STORE --volume-name V --keep-...`: retention for one volume's backups (a Convoy addition). */
import { withEncryptionKey } from '../../encryption-key.js';
import { renderForget } from '../../render-forget.js';
import type { CommandModule } from '../command-module.js';
import { DRY_RUN_OPTION, type KeepArgs, policyFromArgs, RETENTION_EPILOGUE, withKeepOptions } from '../shared/retention-flags.js';
import { type KeyedStoreArgs, STORE_FORMS, storeParams } from '../shared/store-args.js';

export const forget: CommandModule<KeepArgs & KeyedStoreArgs & { dest: string; volumeName: string; dryRun: boolean }> = {
  command: 'forget <dest>',
  describe: "Remove a volume's backups that a retention policy does not keep, and the blocks only they used",
  builder: (c) =>
    withKeepOptions(c.positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' }), 'backups', { allowRemovingNewest: true })
      .option('volume-name', { type: 'string', demandOption: true, describe: 'whose backups to consider' })
      .option('dry-run', DRY_RUN_OPTION)
      .epilogue(
        `${RETENTION_EPILOGUE} The whole forget holds the volume's exclusive store lock (backups, restores and deletes of it wait or are refused). ${STORE_FORMS}`,
      ),
  async handler(args, { client, out }) {
    const request = { dest: args.dest, volumeName: args.volumeName, policy: policyFromArgs(args), dryRun: args.dryRun, ...storeParams(args) };
    // An encrypted volume's records are read with the caller's key (or the daemon's).
    const onProgress = out.progress('forget');
    const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('forgetBackups', { ...request, ...key }, { onProgress }),
    );
    // Its JSON is Convoy's own ForgetReport: Go Convoy had no forget.
    out.result({
      go: report,
      table: () =>
        renderForget(
          'backup',
          report.dryRun,
          report.kept.map((k) => ({ name: k.backup.name, createdAt: k.backup.createdAt, reasons: k.reasons })),
          report.removed.map((b) => ({ name: b.name, createdAt: b.createdAt })),
        ),
    });
  },
};
