/** `convoy snapshot inspect <snapshot>`: Go Convoy's snapshot JSON when piped. */
import { renderRecord } from '../../render.js';
import { oneNameCommand } from '../shared/one-name-command.js';

export const inspect = oneNameCommand({
  verb: 'inspect',
  arg: 'snapshot',
  describe: 'Show a snapshot and the volume it belongs to',
  call: (client, name) => client.call('inspectSnapshot', { SnapshotName: name }),
  print: (snapshot) => ({ go: snapshot, table: () => renderRecord(snapshot) }),
});
