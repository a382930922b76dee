import type { UserKey } from '@convoy/backup-store';
import { ConvoyError, isConvoyError, readBoundedFile } from '@convoy/core/lite';
import type { EncryptionKeyParam } from '@convoy/volume-service';

/**
 * Where the CLI and the daemon get the key of an encrypted store: `--encryption-key-file`, then
 * the environment, then (CLI only, on a terminal) a prompt. Never a command-line value: `ps`
 * shows argv to every user of the host. The variables are removed once read, so no program the
 * daemon runs (mkfs, mount) inherits them (the daemon also wipes the passphrase from
 * /proc/<pid>/environ: daemon/wipe-environ.ts). Key files are read with a size bound.
 */
export const KEY_FILE_ENV = 'CONVOY_ENCRYPTION_KEY_FILE';
export const PASSPHRASE_ENV = 'CONVOY_ENCRYPTION_PASSPHRASE';
export const NEW_KEY_FILE_ENV = 'CONVOY_NEW_ENCRYPTION_KEY_FILE';
export const NEW_PASSPHRASE_ENV = 'CONVOY_NEW_ENCRYPTION_PASSPHRASE';
/** A key file holds 32 or so random bytes; 64 KiB leaves room for any key format and stops /dev/zero. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

export const KEY_SOURCES =
  `Encrypted stores: the key comes from --encryption-key-file (a file or pipe of 32 random bytes to 64 KiB, e.g. head -c 32 /dev/urandom), ` +
  `$${KEY_FILE_ENV}, $${PASSPHRASE_ENV}, or a passphrase prompt on a terminal; else the daemon's own key. Never from an argument.`;

export async function keyFromFileOrEnv(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  names: { file: string; passphrase: string } = { file: KEY_FILE_ENV, passphrase: PASSPHRASE_ENV },
): Promise<UserKey | undefined> {
  const path = file ?? env[names.file];
  const passphrase = env[names.passphrase];
  delete env[names.file];
  delete env[names.passphrase];
  if (path !== undefined && path !== '') {
    try {
      return { kind: 'key-file', secret: await readBoundedFile(path, { what: 'the encryption key file', maxBytes: MAX_KEY_FILE_BYTES }) };
    } catch (err) {
      // A missing key file is the caller's mistake, like any other unreadable one.
      throw isConvoyError(err, 'NOT_FOUND') ? new ConvoyError('INVALID_ARGUMENT', err.message, { cause: err }) : err;
    }
  }
  return passphrase ? { kind: 'passphrase', secret: Buffer.from(passphrase, 'utf8') } : undefined;
}

export function keyParam(key: UserKey): EncryptionKeyParam {
  return { kind: key.kind, secret: key.secret.toString('base64') };
}

/** A passphrase typed on the terminal without echo; undefined when stdin or stderr is not a terminal. */
export async function promptPassphrase(question: string): Promise<UserKey | undefined> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY || !stderr.isTTY) return undefined;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    const typed = await new Promise<string>((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(text);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new ConvoyError('INVALID_ARGUMENT', 'cancelled'));
          }
          text = ch === '\u007f' || ch === '\b' ? text.slice(0, -1) : text + ch;
        }
      };
      stdin.on('data', onData);
    });
    return typed === '' ? undefined : { kind: 'passphrase', secret: Buffer.from(typed, 'utf8') };
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}

/**
 * Runs `call` with the caller's key when one was given. Without one the daemon's own key is
 * used; if that is missing or wrong (KEY_REQUIRED) and a person is at a terminal, the CLI asks
 * for the passphrase once and tries again.
 */
export async function withEncryptionKey<T>(
  file: string | undefined,
  interactive: boolean,
  call: (key: { encryptionKey?: EncryptionKeyParam }) => Promise<T>,
): Promise<T> {
  const given = await keyFromFileOrEnv(file);
  if (given) return call({ encryptionKey: keyParam(given) });
  try {
    return await call({});
  } catch (err) {
    if (!isConvoyError(err, 'KEY_REQUIRED') || !interactive) throw err;
    const typed = await promptPassphrase(`${err.message}\nPassphrase: `);
    if (!typed) throw err;
    return call({ encryptionKey: keyParam(typed) });
  }
}
