/** `convoy backup key list <dest>`: the user keys of an encrypted store; reading them needs no key. */
import { renderKeys } from '../../../render-encryption.js';
import type { CommandModule } from '../../command-module.js';
import { type KeyedStoreArgs, storeParams } from '../../shared/store-args.js';

export const list: CommandModule<KeyedStoreArgs & { dest: string }> = {
  command: 'list <dest>',
  describe: 'List the keys of a store (no key needed)',
  builder: (c) => c.positional('dest', { type: 'string', demandOption: true }),
  async handler(args, { client, out }) {
    const { keys } = await client.call('listBackupKeys', { dest: args.dest, ...storeParams(args) });
    out.result({ go: keys, table: () => renderKeys(keys) });
  },
};
