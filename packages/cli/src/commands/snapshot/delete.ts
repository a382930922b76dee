/** `convoy snapshot delete <snapshot>`: the local snapshot only; its backups stay in their stores. */
import { oneNameCommand } from '../shared/one-name-command.js';

export const deleteSnapshot = oneNameCommand({
  verb: 'delete',
  arg: 'snapshot',
  describe: 'Delete a snapshot (its backups in stores are kept)',
  call: (client, name) => client.call('deleteSnapshot', { SnapshotName: name }),
  print: (_, name) => ({ go: undefined, json: { deleted: name }, table: () => '' }),
});
