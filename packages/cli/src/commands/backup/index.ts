/** `convoy backup <verb>`: its store flags, taken before or after the verb, and its verbs in help order. */
import type { NounModule } from '../command-module.js';
import { copy } from './copy.js';
import { create } from './create.js';
import { deleteBackup } from './delete.js';
import { forget } from './forget.js';
import { init } from './init.js';
import { inspect } from './inspect.js';
import { key } from './key/index.js';
import { list } from './list.js';
import { prune } from './prune.js';
import { verify } from './verify.js';

export const backup: NounModule = {
  command: 'backup',
  describe: 'Back snapshots up to a store, and list, inspect, delete, prune and forget backups',
  builder: (parent) =>
    parent
      .option('s3-endpoint', {
        type: 'string',
        describe: 'S3 endpoint for MinIO and other S3-compatible servers (path-style); before or after the subcommand',
      })
      .option('encryption-key-file', {
        type: 'string',
        describe: "the key of an encrypted store (else $CONVOY_ENCRYPTION_KEY_FILE, $CONVOY_ENCRYPTION_PASSPHRASE, a prompt, or the daemon's key)",
      }),
  verbs: [create, list, prune, forget, verify, copy, init, key, deleteBackup, inspect],
  demandVerb: 'name a backup command: create, delete, list, inspect, prune, forget, verify, copy, init or key',
};
