/** `convoy inspect <volume>`: Go Convoy's volume JSON when piped. */
import { renderRecord } from '../../render.js';
import { oneNameCommand } from '../shared/one-name-command.js';

export const inspect = oneNameCommand({
  verb: 'inspect',
  arg: 'volume',
  describe: 'Show a volume: driver, mountpoint, snapshots and driver facts',
  call: (client, name) => client.call('inspectVolume', { VolumeName: name }),
  print: (volume) => ({ go: volume, table: () => renderRecord(volume) }),
});
