import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { renderForget } from '../render-forget.js';
import { withEncryptionKey } from '../encryption-key.js';
import { storeParams, type KeyedStoreArgs } from './backup-encryption-commands.js';
import { policyFromArgs, RETENTION_EPILOGUE, withKeepOptions, type KeepArgs } from './retention-flags.js';

const DRY_RUN = { type: 'boolean', default: false, describe: 'list what would be removed and why each kept one is kept; remove nothing' } as const;

/** `convoy backup forget STORE --volume-name V --keep-...`: retention for one volume's backups. */
export function backupForgetCommand(y: Argv<GlobalArgs>, run: CommandRunner, storeForms: string): Argv<GlobalArgs> {
  return y.command(
    'forget <dest>',
    "Remove a volume's backups that a retention policy does not keep, and the blocks only they used",
    (c) =>
      withKeepOptions(c.positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' }), 'backups', { allowRemovingNewest: true })
        .option('volume-name', { type: 'string', demandOption: true, describe: 'whose backups to consider' })
        .option('dry-run', DRY_RUN)
        .epilogue(`${RETENTION_EPILOGUE} The whole forget holds the volume's exclusive store lock (backups, restores and deletes of it wait or are refused). ${storeForms}`),
    run.action<KeepArgs & KeyedStoreArgs & { dest: string; volumeName: string; dryRun: boolean }>(async (args, { client, out }) => {
      const request = { dest: args.dest, volumeName: args.volumeName, policy: policyFromArgs(args), dryRun: args.dryRun, ...storeParams(args) };
      // An encrypted volume's records are read with the caller's key (or the daemon's).
      const onProgress = out.progress('forget');
      const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('forgetBackups', { ...request, ...key }, { onProgress }));
      // A Convoy addition (Go Convoy had no forget): its JSON is Convoy's own ForgetReport.
      out.result({
        go: report,
        table: () =>
          renderForget('backup', report.dryRun, report.kept.map((k) => ({ name: k.backup.name, createdAt: k.backup.createdAt, reasons: k.reasons })), report.removed.map((b) => ({ name: b.name, createdAt: b.createdAt }))),
      });
    }),
  );
}

/** `convoy snapshot forget VOLUME --keep-...`: retention for a volume's local snapshots. */
export function snapshotForgetCommand(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command(
    'forget <volume>',
    'Delete the snapshots of a volume that a retention policy does not keep (its backups in stores are untouched)',
    (c) =>
      withKeepOptions(c.positional('volume', { type: 'string', demandOption: true }), 'snapshots', { allowRemovingNewest: true })
        .option('dry-run', DRY_RUN)
        .epilogue(RETENTION_EPILOGUE),
    run.action<KeepArgs & { volume: string; dryRun: boolean }>(async (args, { client, out }) => {
      const report = await client.call('forgetSnapshots', { volume: args.volume, policy: policyFromArgs(args), dryRun: args.dryRun });
      out.result({
        go: report,
        table: () => renderForget('snapshot', report.dryRun, report.kept.map((k) => ({ name: k.snapshot.name, createdAt: k.snapshot.createdAt, reasons: k.reasons })), report.removed),
      });
    }),
  );
}
