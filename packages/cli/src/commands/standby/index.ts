/** `convoy standby <verb>`: volumes that follow a source's backups (see "Disaster recovery" in the README). */
import type { NounModule } from '../command-module.js';
import { activate } from './activate.js';
import { sync } from './sync.js';

export const standby: NounModule = {
  command: 'standby',
  describe: 'Sync and activate standby volumes (convoy create NAME --backup URL --standby)',
  verbs: [sync, activate],
  demandVerb: 'name a standby command: sync or activate',
};
