/** `convoy backup verify <target>`: would the backups restore? Its exit status tells damage from "could not check". */
import { ConvoyError } from '@convoy/core/lite';
import { KEY_SOURCES, withEncryptionKey } from '../../encryption-key.js';
import { renderVerify } from '../../render-encryption.js';
import type { CommandModule } from '../command-module.js';
import { type KeyedStoreArgs, storeParams } from '../shared/store-args.js';

/** `verify` exits with this when it ran and found damage (1 stays "the command failed"). */
export const DAMAGE_EXIT = 3;
/** `verify` found no damage but could not check every volume (a delete or prune held one): not damage. */
export const NOT_CHECKED_EXIT = 4;

/** `10%`, `0.1` → 0.1. */
function parseSample(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const share = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN;
  if (!(share > 0 && share <= 1)) throw new ConvoyError('INVALID_ARGUMENT', `--sample ${JSON.stringify(value)}: give a share of the blocks, e.g. 10% or 0.1`);
  return share;
}

export const verify: CommandModule<KeyedStoreArgs & { target: string; volumeName?: string; deep: boolean; sample?: string }> = {
  command: 'verify <target>',
  describe: 'Check that backups would restore: records parse, every referenced block exists; --deep reads and checks every block',
  builder: (c) =>
    c
      .positional('target', { type: 'string', demandOption: true, describe: 'a store URL (every volume), or one backup URL' })
      .option('volume-name', { type: 'string', describe: 'only the backups of this volume' })
      .option('deep', { type: 'boolean', default: false, describe: 'read, decrypt, decompress and checksum every referenced block (once each) and archive' })
      .option('sample', { type: 'string', describe: 'with --deep, read only this share of the blocks, chosen at random (e.g. 10%)' })
      .epilogue(
        "Verify holds the store's shared lock: backups and restores go on meanwhile. Exit status: 0 healthy, 3 damage found (each " +
          'bad object and damaged backup is named; the rest is verified), 4 no damage found but a volume could not be checked because a ' +
          `delete, forget or prune held it (run verify again later), 1 verify could not run. ${KEY_SOURCES}`,
      ),
  async handler(args, { client, out }) {
    if (args.sample !== undefined && !args.deep) throw new ConvoyError('INVALID_ARGUMENT', '--sample needs --deep');
    const params = {
      ...storeParams(args),
      deep: args.deep,
      ...(args.volumeName === undefined ? {} : { volumeName: args.volumeName }),
      ...(args.sample === undefined ? {} : { sample: parseSample(args.sample) }),
    };
    const progress = out.progress('verify');
    const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('verifyBackups', { target: args.target, ...params, ...key }, { onProgress: progress }),
    );
    // Its JSON is Convoy's own VerifyReport: Go Convoy had no verify.
    out.result({ go: report, table: () => renderVerify(report) });
    if (report.problems.length > 0) out.exitCode = DAMAGE_EXIT;
    else if (report.notChecked.length > 0) out.exitCode = NOT_CHECKED_EXIT;
  },
};
