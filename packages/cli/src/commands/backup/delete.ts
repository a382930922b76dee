/** `convoy backup delete <url>`: blocks the volume's other backups still use are kept. */
import { withEncryptionKey } from '../../encryption-key.js';
import { oneNameCommand } from '../shared/one-name-command.js';
import { BACKUP_URL_FORMS, goStore, type KeyedStoreArgs } from '../shared/store-args.js';

export const deleteBackup = oneNameCommand<void, KeyedStoreArgs>({
  verb: 'delete',
  arg: 'url',
  describe: "Delete a backup; blocks that the volume's other backups still use are kept",
  epilogue: BACKUP_URL_FORMS,
  call: (client, url, args, out) =>
    withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('deleteBackup', { URL: url, ...goStore(args, key) })),
  print: (_, url) => ({ go: undefined, json: { deleted: url }, table: () => '' }),
});
