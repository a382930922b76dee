/** `convoy snapshot create <volume>`: crash-consistent, or application-consistent with --consistent; prints its name. */
import { renderConsistency } from '../../render-consistency.js';
import type { CommandModule } from '../command-module.js';
import { verboseAnswer } from '../shared/verbose-answer.js';

export const create: CommandModule<{ volume: string; name?: string; consistent?: boolean }> = {
  command: 'create <volume>',
  describe: 'Take a crash-consistent snapshot of a volume (application-consistent with --consistent); prints its name',
  builder: (c) =>
    c
      .positional('volume', { type: 'string', demandOption: true })
      .option('name', { type: 'string', describe: 'snapshot name, unique on this host and never a volume name; generated (snapshot-<16 hex>) when omitted' })
      .option('consistent', {
        type: 'boolean',
        describe:
          'first run the pre-snapshot hook of every running container that mounts the volume (label io.convoy.hooks.pre-snapshot, run inside that container), ' +
          'then the post-snapshot hooks whatever happens; see "Application-consistent snapshots" in the README',
      }),
  async handler(args, { client, out }) {
    const request = {
      VolumeName: args.volume,
      Verbose: true,
      ...(args.name === undefined ? {} : { Name: args.name }),
      ...(args.consistent ? { Consistent: true } : {}),
    };
    const snapshot = verboseAnswer(await client.call('createSnapshot', request));
    const consistency = snapshot.Consistency;
    out.result({
      go: args.verbose ? snapshot : snapshot.Name,
      json: snapshot,
      table: () => (consistency ? `${snapshot.Name}\n${renderConsistency(consistency)}` : snapshot.Name),
    });
  },
};
