/** `convoy backup init <dest> --encrypt`: every new volume backed up to the store is encrypted from then on. */
import { ConvoyError } from '@convoy/core/lite';
import { KEY_SOURCES, withEncryptionKey } from '../../encryption-key.js';
import type { CommandModule } from '../command-module.js';
import { type KeyedStoreArgs, storeParams } from '../shared/store-args.js';

export const init: CommandModule<KeyedStoreArgs & { dest: string; encrypt: boolean }> = {
  command: 'init <dest>',
  describe: "Encrypt every new volume backed up to this store; makes the store's key, wrapped by yours, if it has none",
  builder: (c) =>
    c
      .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
      .option('encrypt', { type: 'boolean', demandOption: true, describe: 'required: what init sets up is encryption' })
      .epilogue(`Volumes already in the store keep what their first backup chose. Keep your key safe: without it the data is gone. ${KEY_SOURCES}`),
  async handler(args, { client, out }) {
    if (!args.encrypt) throw new ConvoyError('INVALID_ARGUMENT', 'backup init only sets up encryption: pass --encrypt');
    const result = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('initBackupStore', { dest: args.dest, ...storeParams(args), ...key }),
    );
    out.result({ go: result, table: () => `store key ${result.masterKeyId}: new volumes in ${args.dest} are encrypted` });
  },
};
