/** `convoy snapshot list <volume>`: the volume's snapshots, keyed by name as `inspect` shows them when piped. */
import { renderSnapshotList } from '../../render.js';
import { oneNameCommand } from '../shared/one-name-command.js';

export const list = oneNameCommand({
  verb: 'list',
  arg: 'volume',
  describe: "List a volume's snapshots, newest first",
  epilogue: 'Piped or with --json: the snapshots keyed by name, as `inspect VOLUME` shows them under Snapshots.',
  call: async (client, name) => (await client.call('inspectVolume', { VolumeName: name })).Snapshots,
  print: (snapshots) => ({ go: snapshots, table: () => renderSnapshotList(snapshots) }),
});
