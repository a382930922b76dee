/** `convoy backup key <verb>`: the user keys that open an encrypted store's key; in help order. */
import type { NounModule } from '../../command-module.js';
import { add } from './add.js';
import { list } from './list.js';
import { remove } from './remove.js';

export const key: NounModule = {
  command: 'key',
  describe: "Manage the user keys that open an encrypted store's key (the data is never re-encrypted)",
  verbs: [list, add, remove],
  demandVerb: 'name a key command: list, add or remove',
};
