/** `convoy resize <volume> --size`: volumes only grow; prints the new size. */
import { parseSize, sizeRangeText } from '@convoy/core/lite';
import { formatBytes } from '../../bytes.js';
import type { CommandModule } from '../command-module.js';

export const resize: CommandModule<{ volume: string; size: string }> = {
  command: 'resize <volume>',
  describe: 'Grow a volume and its filesystem; prints the new size',
  builder: (c) =>
    c
      .positional('volume', { type: 'string', demandOption: true })
      .option('size', {
        type: 'string',
        demandOption: true,
        describe: `the new size in bytes or with k/m/g/t/p (e.g. 20g; ${sizeRangeText('volume')}); never smaller than now`,
      })
      .epilogue(
        'Volumes only grow: a smaller size is refused and nothing changes. devicemapper grows the thin device, then the ' +
          'filesystem (at once when mounted, else at the next mount), keeping every byte; drivers without resize (vfs) refuse it.',
      ),
  async handler(args, { client, out }) {
    const volume = await client.call('resizeVolume', { VolumeName: args.volume, Size: parseSize(args.size, '--size', 'volume') });
    out.result({ go: volume, table: () => `${volume.Name} ${formatBytes(Number(volume.DriverInfo.Size))}` });
  },
};
