/** `convoy snapshot <verb>`: its verbs in help order. */
import type { NounModule } from '../command-module.js';
import { create } from './create.js';
import { deleteSnapshot } from './delete.js';
import { forget } from './forget.js';
import { inspect } from './inspect.js';
import { list } from './list.js';

export const snapshot: NounModule = {
  command: 'snapshot',
  describe: 'Create, list, delete, inspect and forget snapshots (point-in-time copies of a volume)',
  verbs: [create, list, deleteSnapshot, forget, inspect],
  demandVerb: 'name a snapshot command: create, list, delete, inspect or forget',
};
