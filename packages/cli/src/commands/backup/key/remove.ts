/** `convoy backup key remove <dest> <id>`: the store's last key is refused, since without one the data is gone. */
import { withEncryptionKey } from '../../../encryption-key.js';
import type { CommandModule } from '../../command-module.js';
import { type KeyedStoreArgs, storeParams } from '../../shared/store-args.js';

export const remove: CommandModule<KeyedStoreArgs & { dest: string; id: string }> = {
  command: 'remove <dest> <id>',
  describe: 'Remove a key; the last key of a store is refused (the data would be gone)',
  builder: (c) =>
    c
      .positional('dest', { type: 'string', demandOption: true })
      .positional('id', { type: 'string', demandOption: true, describe: 'the key id (backup key list)' }),
  async handler(args, { client, out }) {
    await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('removeBackupKey', { dest: args.dest, keyId: args.id, ...storeParams(args), ...key }),
    );
    out.result({ go: { removed: args.id }, table: () => `removed key ${args.id}` });
  },
};
