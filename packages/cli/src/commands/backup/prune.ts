/** `convoy backup prune <dest>`: removes what no backup references, after a grace period that keeps running backups safe. */
import { durationRangeText, parsePercent, percentRangeText } from '@convoy/core/lite';
import { withEncryptionKey } from '../../encryption-key.js';
import { parseDuration } from '../../flag-values.js';
import { renderPrune } from '../../render.js';
import type { CommandModule } from '../command-module.js';
import { goStore, type KeyedStoreArgs, STORE_FORMS } from '../shared/store-args.js';

export const prune: CommandModule<KeyedStoreArgs & { dest: string; grace?: string; maxUnused?: string }> = {
  command: 'prune <dest>',
  describe: 'Remove blocks no backup references (left by an interrupted backup or a delete), and rewrite packs that are mostly unused',
  builder: (c) =>
    c
      .positional('dest', { type: 'string', demandOption: true, describe: 'the store URL' })
      .option('grace', {
        type: 'string',
        describe: `keep unreferenced blocks younger than this (e.g. 30m, 2h) so a running backup is never raced; default 1h; ${durationRangeText('grace')}`,
      })
      .option('max-unused', {
        type: 'string',
        describe: `pack layout: rewrite a pack once more than this share of it is unused, e.g. 10% (the default), 0% (always), 100% (never: only wholly unused packs go); ${percentRangeText('maxUnused')}`,
      })
      .epilogue(STORE_FORMS),
  async handler(args, { client, out }) {
    const grace = args.grace === undefined ? {} : { GraceSeconds: Math.ceil(parseDuration('grace', args.grace, 'grace') / 1000) };
    const maxUnused = args.maxUnused === undefined ? {} : { MaxUnusedPercent: parsePercent(args.maxUnused, '--max-unused', 'maxUnused') };
    const onProgress = out.progress('prune');
    const report = await withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) =>
      client.call('pruneBackups', { URL: args.dest, ...grace, ...maxUnused, ...goStore(args, key) }, { onProgress }),
    );
    out.result({ go: report, table: () => renderPrune(report) });
  },
};
