import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { renderConsistency } from '../render-consistency.js';
import { renderRecord, renderSnapshotList } from '../render.js';
import { snapshotForgetCommand } from './forget-commands.js';
import { oneNameCommand } from './one-name-command.js';
import { verboseAnswer } from './verbose-answer.js';

export function snapshotCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('snapshot', 'Create, list, delete, inspect and forget snapshots (point-in-time copies of a volume)', (parent) => {
    const withCreate = parent.command(
      'create <volume>',
      'Take a crash-consistent snapshot of a volume (application-consistent with --consistent); prints its name',
      (c) =>
        c
          .positional('volume', { type: 'string', demandOption: true })
          .option('name', { type: 'string', describe: 'snapshot name, unique on this host and never a volume name; generated (snapshot-<16 hex>) when omitted' })
          .option('consistent', {
            type: 'boolean',
            describe:
              'first run the pre-snapshot hook of every running container that mounts the volume (label io.convoy.hooks.pre-snapshot, run inside that container), ' +
              'then the post-snapshot hooks whatever happens; see "Application-consistent snapshots" in the README',
          }),
      run.action<{ volume: string; name?: string; consistent?: boolean }>(async (args, { client, out }) => {
        const request = { VolumeName: args.volume, Verbose: true, ...(args.name === undefined ? {} : { Name: args.name }), ...(args.consistent ? { Consistent: true } : {}) };
        const snapshot = verboseAnswer(await client.call('createSnapshot', request));
        const consistency = snapshot.Consistency;
        out.result({ go: args.verbose ? snapshot : snapshot.Name, json: snapshot, table: () => (consistency ? `${snapshot.Name}\n${renderConsistency(consistency)}` : snapshot.Name) });
      }),
    );
    const withList = oneNameCommand(withCreate, run, {
      verb: 'list',
      arg: 'volume',
      describe: "List a volume's snapshots, newest first",
      epilogue: 'Piped or with --json: the snapshots keyed by name, as `inspect VOLUME` shows them under Snapshots.',
      call: async (client, name) => (await client.call('inspectVolume', { VolumeName: name })).Snapshots,
      print: (snapshots) => ({ go: snapshots, table: () => renderSnapshotList(snapshots) }),
    });
    const withDelete = oneNameCommand(withList, run, {
      verb: 'delete',
      arg: 'snapshot',
      describe: 'Delete a snapshot (its backups in stores are kept)',
      call: (client, name) => client.call('deleteSnapshot', { SnapshotName: name }),
      print: (_, name) => ({ go: undefined, json: { deleted: name }, table: () => '' }),
    });
    return oneNameCommand(snapshotForgetCommand(withDelete, run), run, {
      verb: 'inspect',
      arg: 'snapshot',
      describe: 'Show a snapshot and the volume it belongs to',
      call: (client, name) => client.call('inspectSnapshot', { SnapshotName: name }),
      print: (snapshot) => ({ go: snapshot, table: () => renderRecord(snapshot) }),
    }).demandCommand(1, 'name a snapshot command: create, list, delete, inspect or forget');
  });
}
