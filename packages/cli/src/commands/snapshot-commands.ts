import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { renderRecord } from '../render.js';
import { snapshotForgetCommand } from './forget-commands.js';
import { oneNameCommand } from './one-name-command.js';

export function snapshotCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('snapshot', 'Create, delete, inspect and forget snapshots (point-in-time copies of a volume)', (parent) => {
    const withCreate = parent.command(
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
    );
    const withDelete = oneNameCommand(withCreate, run, {
      verb: 'delete',
      arg: 'snapshot',
      describe: 'Delete a snapshot (its backups in stores are kept)',
      call: (client, name) => client.deleteSnapshot(name),
      json: (_, name) => ({ deleted: name }),
      human: () => '',
    });
    return oneNameCommand(snapshotForgetCommand(withDelete, run), run, {
      verb: 'inspect',
      arg: 'snapshot',
      describe: 'Show a snapshot and the volume it belongs to',
      call: (client, name) => client.getSnapshot(name),
      json: (snapshot) => snapshot,
      human: (snapshot) => renderRecord(snapshot),
    }).demandCommand(1, 'name a snapshot command: create, delete, inspect or forget');
  });
}
