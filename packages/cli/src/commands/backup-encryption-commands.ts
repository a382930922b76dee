import type { Argv } from 'yargs';
import { ConvoyError } from '@convoy/core/lite';
import type { CommandRunner, GlobalArgs } from '../command-context.js';
import { KEY_SOURCES, keyFromFileOrEnv, keyParam, NEW_KEY_FILE_ENV, NEW_PASSPHRASE_ENV, promptPassphrase, withEncryptionKey } from '../encryption-key.js';
import { renderKeys, renderVerify } from '../render-encryption.js';

/** `verify` exits with this when it ran and found damage (1 stays "the command failed"). */
export const DAMAGE_EXIT = 3;
/** `verify` found no damage but could not check every volume (a delete or prune held one): not damage. */
export const NOT_CHECKED_EXIT = 4;

export interface KeyedStoreArgs {
  s3Endpoint?: string;
  encryptionKeyFile?: string;
}

export const storeParams = (args: KeyedStoreArgs) => (args.s3Endpoint === undefined ? {} : { endpoint: args.s3Endpoint });

/** `10%`, `0.1` → 0.1. */
export function parseSample(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const share = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN;
  if (!(share > 0 && share <= 1)) throw new ConvoyError('INVALID_ARGUMENT', `--sample ${JSON.stringify(value)}: give a share of the blocks, e.g. 10% or 0.1`);
  return share;
}

/** `backup verify`, `backup init` and `backup key list|add|remove`. */
export function backupEncryptionCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y
    .command(
      'verify <target>',
      'Check that backups would restore: records parse, every referenced block exists; --deep reads and checks every block',
      (c) =>
        c
          .positional('target', { type: 'string', demandOption: true, describe: 'a store URL (every volume), or one backup URL' })
          .option('volume-name', { type: 'string', describe: 'only the backups of this volume' })
          .option('deep', { type: 'boolean', default: false, describe: 'read, decrypt, decompress and checksum every referenced block (once each) and archive' })
          .option('sample', { type: 'string', describe: 'with --deep, read only this share of the blocks, chosen at random (e.g. 10%)' })
          .epilogue(
            'Verify holds the store\'s shared lock: backups and restores go on meanwhile. Exit status: 0 healthy, 3 damage found (each ' +
              'bad object and damaged backup is named; the rest is verified), 4 no damage found but a volume could not be checked because a ' +
              `delete, forget or prune held it (run verify again later), 1 verify could not run. ${KEY_SOURCES}`,
          ),
      run.action<KeyedStoreArgs & { target: string; volumeName?: string; deep: boolean; sample?: string }>(async (args, { client, out }) => {
        if (args.sample !== undefined && !args.deep) throw new ConvoyError('INVALID_ARGUMENT', '--sample needs --deep');
        const params = {
          ...storeParams(args),
          deep: args.deep,
          ...(args.volumeName === undefined ? {} : { volumeName: args.volumeName }),
          ...(args.sample === undefined ? {} : { sample: parseSample(args.sample) }),
        };
        const progress = out.progress('verify');
        const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('verifyBackups', { target: args.target, ...params, ...key }, { onProgress: progress }));
        // Convoy additions (Go Convoy had no verify): their JSON is Convoy's own VerifyReport.
        out.result({ go: report, table: () => renderVerify(report) });
        if (report.problems.length > 0) out.exitCode = DAMAGE_EXIT;
        else if (report.notChecked.length > 0) out.exitCode = NOT_CHECKED_EXIT;
      }),
    )
    .command(
      'init <dest>',
      'Encrypt every new volume backed up to this store; makes the store\'s key, wrapped by yours, if it has none',
      (c) =>
        c
          .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
          .option('encrypt', { type: 'boolean', demandOption: true, describe: 'required: what init sets up is encryption' })
          .epilogue(`Volumes already in the store keep what their first backup chose. Keep your key safe: without it the data is gone. ${KEY_SOURCES}`),
      run.action<KeyedStoreArgs & { dest: string; encrypt: boolean }>(async (args, { client, out }) => {
        if (!args.encrypt) throw new ConvoyError('INVALID_ARGUMENT', 'backup init only sets up encryption: pass --encrypt');
        const result = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('initBackupStore', { dest: args.dest, ...storeParams(args), ...key }));
        out.result({ go: result, table: () => `store key ${result.masterKeyId}: new volumes in ${args.dest} are encrypted` });
      }),
    )
    .command('key', "Manage the user keys that open an encrypted store's key (the data is never re-encrypted)", (k) =>
      k
        .command(
          'list <dest>',
          'List the keys of a store (no key needed)',
          (c) => c.positional('dest', { type: 'string', demandOption: true }),
          run.action<KeyedStoreArgs & { dest: string }>(async (args, { client, out }) => {
            const { keys } = await client.call('listBackupKeys', { dest: args.dest, ...storeParams(args) });
            out.result({ go: keys, table: () => renderKeys(keys) });
          }),
        )
        .command(
          'add <dest>',
          'Add a key: a passphrase or a key file that opens the store as well as the ones it has',
          (c) =>
            c
              .positional('dest', { type: 'string', demandOption: true })
              .option('new-key-file', { type: 'string', describe: `the new key: a file of at least 32 random bytes (else $${NEW_KEY_FILE_ENV}, $${NEW_PASSPHRASE_ENV}, or a prompt)` })
              .option('label', { type: 'string', describe: 'a note to tell keys apart (who holds it)' })
              .epilogue(`The current key proves you may add one. ${KEY_SOURCES}`),
          run.action<KeyedStoreArgs & { dest: string; newKeyFile?: string; label?: string }>(async (args, { client, out }) => {
            const newKey = (await keyFromFileOrEnv(args.newKeyFile, process.env, { file: NEW_KEY_FILE_ENV, passphrase: NEW_PASSPHRASE_ENV })) ?? (await confirmedPassphrase());
            const params = { ...storeParams(args), newKey: keyParam(newKey), ...(args.label === undefined ? {} : { label: args.label }) };
            const added = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('addBackupKey', { dest: args.dest, ...params, ...key }));
            out.result({ go: added, table: () => `added key ${added.id}` });
          }),
        )
        .command(
          'remove <dest> <id>',
          'Remove a key; the last key of a store is refused (the data would be gone)',
          (c) => c.positional('dest', { type: 'string', demandOption: true }).positional('id', { type: 'string', demandOption: true, describe: 'the key id (backup key list)' }),
          run.action<KeyedStoreArgs & { dest: string; id: string }>(async (args, { client, out }) => {
            await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('removeBackupKey', { dest: args.dest, keyId: args.id, ...storeParams(args), ...key }));
            out.result({ go: { removed: args.id }, table: () => `removed key ${args.id}` });
          }),
        )
        .demandCommand(1, 'name a key command: list, add or remove'),
    );
}

async function confirmedPassphrase() {
  const first = await promptPassphrase('New passphrase: ');
  if (!first) throw new ConvoyError('INVALID_ARGUMENT', `give the new key with --new-key-file, $${NEW_KEY_FILE_ENV} or $${NEW_PASSPHRASE_ENV} (no terminal to ask on)`);
  const again = await promptPassphrase('Repeat it: ');
  if (!again || !again.secret.equals(first.secret)) throw new ConvoyError('INVALID_ARGUMENT', 'the two passphrases differ');
  return first;
}
