/** `convoy umount <volume>`: prints nothing when piped, as Go Convoy did. */
import { oneNameCommand } from '../shared/one-name-command.js';

export const umount = oneNameCommand({
  verb: 'umount',
  arg: 'volume',
  describe: 'Unmount a volume',
  call: (client, name) => client.call('umountVolume', { VolumeName: name }),
  print: (_, name) => ({ go: undefined, json: { name }, table: () => '' }),
});
