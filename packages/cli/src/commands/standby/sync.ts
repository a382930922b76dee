/**
 * `convoy standby sync NAME [--backup URL | --latest]`: brings a standby volume to another
 * backup of its source volume. Block drivers write only the blocks that differ between the
 * two block maps; directory drivers (vfs) re-extract the whole archive, and the output says so.
 */
import type { StandbySyncResult } from '@convoy/core/lite';
import { formatBytes } from '../../bytes.js';
import { KEY_SOURCES, withEncryptionKey } from '../../encryption-key.js';
import type { CommandModule } from '../command-module.js';

export function renderStandbySync(result: StandbySyncResult): string {
  const moved = result.previousBackup === result.backupName ? `still at ${result.backupName}` : `${result.previousBackup} -> ${result.backupName}`;
  if (result.method === 'up to date')
    return `standby ${result.volumeName}: already holds ${result.backupName}, nothing to write\n  synced at ${result.standby.syncedAt}`;
  const what =
    result.method === 'full re-extract'
      ? `full re-extract of the archive (${formatBytes(result.bytesWritten)}): directory volumes have no block map to diff`
      : `${result.method}${result.reason ? ` (${result.reason})` : ''}: ${result.blocksWritten} blocks written, ${result.blocksZeroed} zeroed, of ${result.blocksCompared} (${formatBytes(result.bytesWritten)})`;
  return `standby ${result.volumeName}: ${moved}\n  ${what}\n  synced at ${result.standby.syncedAt}`;
}

export const sync: CommandModule<{ volume: string; backup?: string; latest?: boolean; encryptionKeyFile?: string }> = {
  command: 'sync <volume>',
  describe: 'Bring a standby volume to another backup of its source volume (the newest by default)',
  builder: (c) =>
    c
      .positional('volume', { type: 'string', demandOption: true, describe: 'the standby volume' })
      .option('backup', {
        type: 'string',
        describe: 'the backup URL to sync to: any backup of the same source volume in the store the standby follows, older ones too',
      })
      .option('latest', { type: 'boolean', describe: "sync to the source volume's newest backup in the store (the default)" })
      .option('encryption-key-file', {
        type: 'string',
        describe: "the key of the encrypted store the standby follows, when the daemon's own key does not open it (see below)",
      })
      .conflicts('backup', 'latest')
      .epilogue(
        'Block drivers (devicemapper) compare the block maps of the backup the standby holds and of the target, and fetch ' +
          'and write only the blocks that differ. Directory drivers (vfs) cannot diff an archive: they extract the whole ' +
          'backup beside the volume and swap it in (a "full re-extract"). The standby must be unmounted. A sync that is ' +
          'killed leaves the standby refusing mounts and activation until the next sync completes it. ' +
          `The key is checked before anything is written: a missing or wrong one leaves the standby as it was. ${KEY_SOURCES}`,
      ),
  async handler(args, { client, out }) {
    const onProgress = out.progress();
    const body = { VolumeName: args.volume, ...(args.backup === undefined ? {} : { BackupURL: args.backup }), ...(args.latest ? { Latest: true } : {}) };
    const result = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('syncStandby', key.encryptionKey === undefined ? body : { ...body, EncryptionKey: key.encryptionKey }, { onProgress }),
    );
    out.result({ go: result, table: () => renderStandbySync(result) });
  },
};
