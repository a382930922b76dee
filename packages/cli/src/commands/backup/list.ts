/** `convoy backup list <dest>`: the backups in a store (Go Convoy's JSON when piped). */
import { withEncryptionKey } from '../../encryption-key.js';
import { renderBackupList } from '../../render.js';
import type { CommandModule } from '../command-module.js';
import { goStore, type KeyedStoreArgs, STORE_FORMS } from '../shared/store-args.js';

export const list: CommandModule<KeyedStoreArgs & { dest: string; volumeName?: string }> = {
  command: 'list <dest>',
  describe: 'List the backups in a store',
  builder: (c) =>
    c
      .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
      .option('volume-name', { type: 'string', describe: 'only the backups of this volume' })
      .epilogue(STORE_FORMS),
  async handler(args, { client, out }) {
    const request = { URL: args.dest, ...(args.volumeName === undefined ? {} : { VolumeName: args.volumeName }) };
    const backups = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('listBackups', { ...request, ...goStore(args, key) }),
    );
    out.result({ go: backups, table: () => renderBackupList(backups) });
  },
};
