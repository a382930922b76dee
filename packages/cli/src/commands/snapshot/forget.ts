/** `convoy snapshot forget VOLUME --keep-...`: retention for a volume's local snapshots (a Convoy addition). */
import { renderForget } from '../../render-forget.js';
import type { CommandModule } from '../command-module.js';
import { DRY_RUN_OPTION, type KeepArgs, policyFromArgs, RETENTION_EPILOGUE, withKeepOptions } from '../shared/retention-flags.js';

export const forget: CommandModule<KeepArgs & { volume: string; dryRun: boolean }> = {
  command: 'forget <volume>',
  describe: 'Delete the snapshots of a volume that a retention policy does not keep (its backups in stores are untouched)',
  builder: (c) =>
    withKeepOptions(c.positional('volume', { type: 'string', demandOption: true }), 'snapshots', { allowRemovingNewest: true })
      .option('dry-run', DRY_RUN_OPTION)
      .epilogue(RETENTION_EPILOGUE),
  async handler(args, { client, out }) {
    const report = await client.call('forgetSnapshots', { volume: args.volume, policy: policyFromArgs(args), dryRun: args.dryRun });
    out.result({
      go: report,
      table: () =>
        renderForget(
          'snapshot',
          report.dryRun,
          report.kept.map((k) => ({ name: k.snapshot.name, createdAt: k.snapshot.createdAt, reasons: k.reasons })),
          report.removed,
        ),
    });
  },
};
