/** `convoy backup key add <dest>`: one more key that opens the store's key; the current key proves the right to add it. */
import { ConvoyError } from '@convoy/core/lite';
import { KEY_SOURCES, keyFromFileOrEnv, keyParam, NEW_KEY_FILE_ENV, NEW_PASSPHRASE_ENV, promptPassphrase, withEncryptionKey } from '../../../encryption-key.js';
import type { CommandModule } from '../../command-module.js';
import { type KeyedStoreArgs, storeParams } from '../../shared/store-args.js';

async function confirmedPassphrase() {
  const first = await promptPassphrase('New passphrase: ');
  if (!first)
    throw new ConvoyError('INVALID_ARGUMENT', `give the new key with --new-key-file, $${NEW_KEY_FILE_ENV} or $${NEW_PASSPHRASE_ENV} (no terminal to ask on)`);
  const again = await promptPassphrase('Repeat it: ');
  if (!again?.secret.equals(first.secret)) throw new ConvoyError('INVALID_ARGUMENT', 'the two passphrases differ');
  return first;
}

export const add: CommandModule<KeyedStoreArgs & { dest: string; newKeyFile?: string; label?: string }> = {
  command: 'add <dest>',
  describe: 'Add a key: a passphrase or a key file that opens the store as well as the ones it has',
  builder: (c) =>
    c
      .positional('dest', { type: 'string', demandOption: true })
      .option('new-key-file', {
        type: 'string',
        describe: `the new key: a file of at least 32 random bytes (else $${NEW_KEY_FILE_ENV}, $${NEW_PASSPHRASE_ENV}, or a prompt)`,
      })
      .option('label', { type: 'string', describe: 'a note to tell keys apart (who holds it)' })
      .epilogue(`The current key proves you may add one. ${KEY_SOURCES}`),
  async handler(args, { client, out }) {
    const newKey =
      (await keyFromFileOrEnv(args.newKeyFile, process.env, { file: NEW_KEY_FILE_ENV, passphrase: NEW_PASSPHRASE_ENV })) ?? (await confirmedPassphrase());
    const params = { ...storeParams(args), newKey: keyParam(newKey), ...(args.label === undefined ? {} : { label: args.label }) };
    const added = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('addBackupKey', { dest: args.dest, ...params, ...key }),
    );
    out.result({ go: added, table: () => `added key ${added.id}` });
  },
};
