/** `convoy standby activate NAME`: the standby becomes an ordinary volume (mountable, writable, backed up). */
import { oneNameCommand } from '../shared/one-name-command.js';

export const activate = oneNameCommand({
  verb: 'activate',
  arg: 'volume',
  describe: 'Make a standby volume an ordinary one: it can be mounted, written, snapshotted and backed up',
  epilogue:
    'Refused while a sync runs, and after an interrupted sync until `convoy standby sync` completes it. There is no way back: create a new standby to follow the source again.',
  call: (client, name) => client.call('activateStandby', { VolumeName: name }),
  print: (volume) => ({ go: volume, json: volume, table: () => `${volume.Name} is an ordinary volume now` }),
});
