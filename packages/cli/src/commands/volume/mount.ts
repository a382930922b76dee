/** `convoy mount <volume>`: prints the mountpoint, or Go's verbose record with --verbose. */
import type { CommandModule } from '../command-module.js';
import { verboseAnswer } from '../shared/verbose-answer.js';

export const mount: CommandModule<{ volume: string; mountpoint?: string }> = {
  command: 'mount <volume>',
  describe: 'Mount a volume; prints its mountpoint',
  builder: (c) =>
    c
      .positional('volume', { type: 'string', demandOption: true })
      .option('mountpoint', { type: 'string', describe: "where to mount it; the driver's default place when omitted (vfs refuses any other)" }),
  async handler(args, { client, out }) {
    const mounted = verboseAnswer(
      await client.call('mountVolume', { VolumeName: args.volume, Verbose: true, ...(args.mountpoint === undefined ? {} : { MountPoint: args.mountpoint }) }),
    );
    out.result({ go: args.verbose ? mounted : mounted.MountPoint, json: mounted, table: () => mounted.MountPoint });
  },
};
