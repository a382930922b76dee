import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { renderRecord } from '../render.js';

export function snapshotCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('snapshot', 'Create, delete and inspect snapshots (point-in-time copies of a volume)', (s) =>
    s
      .command(
        'create <volume>',
        'Take a crash-consistent snapshot of a volume; prints its name',
        (c) =>
          c
            .positional('volume', { type: 'string', demandOption: true })
            .option('name', { type: 'string', describe: 'snapshot name, unique on this host and never a volume name; generated (snapshot-<16 hex>) when omitted' }),
        run.action<{ volume: string; name?: string }>(async (args, { client, out }) => {
          const snapshot = await client.createSnapshot(args.volume, args.name);
          out.result(snapshot, () => snapshot.name);
        }),
      )
      .command(
        'delete <snapshot>',
        'Delete a snapshot (its backups in stores are kept)',
        (c) => c.positional('snapshot', { type: 'string', demandOption: true }),
        run.action<{ snapshot: string }>(async (args, { client, out }) => {
          await client.deleteSnapshot(args.snapshot);
          out.result({ deleted: args.snapshot }, () => '');
        }),
      )
      .command(
        'inspect <snapshot>',
        'Show a snapshot and the volume it belongs to',
        (c) => c.positional('snapshot', { type: 'string', demandOption: true }),
        run.action<{ snapshot: string }>(async (args, { client, out }) => {
          const snapshot = await client.getSnapshot(args.snapshot);
          out.result(snapshot, () => renderRecord(snapshot));
        }),
      )
      .demandCommand(1, 'name a snapshot command: create, delete or inspect'),
  );
}
