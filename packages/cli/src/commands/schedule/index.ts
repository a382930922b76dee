/** `convoy schedule <verb>`: its verbs in help order. */
import type { NounModule } from '../command-module.js';
import { create } from './create.js';
import { deleteSchedule } from './delete.js';
import { inspect } from './inspect.js';
import { list } from './list.js';
import { pause } from './pause.js';
import { resume } from './resume.js';
import { runNow } from './run.js';

export const schedule: NounModule = {
  command: 'schedule',
  describe: 'Snapshot (and back up) volumes on a schedule inside the daemon, keeping what a retention policy says',
  verbs: [create, list, inspect, deleteSchedule, pause, resume, runNow],
  demandVerb: 'name a schedule command: create, list, inspect, delete, pause, resume or run',
};
