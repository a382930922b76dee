/**
 * Every `convoy` command, in the order `convoy --help` lists them. Adding a command is one file
 * (commands/<noun>/<verb>.ts) and one line: here, or in its noun's index.ts.
 */
import { backup } from './backup/index.js';
import type { Command } from './command-module.js';
import { daemonCommand } from './daemon/daemon.js';
import { info } from './daemon/info.js';
import { schedule } from './schedule/index.js';
import { snapshot } from './snapshot/index.js';
import { standby } from './standby/index.js';
import { volumeCommands } from './volume/index.js';

export const COMMANDS: readonly Command[] = [daemonCommand, info, ...volumeCommands, snapshot, backup, schedule, standby];
