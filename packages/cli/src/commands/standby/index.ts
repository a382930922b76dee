/** `convoy standby`: volumes that follow a source's backups (see "Disaster recovery" in the README). */
import type { Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from '../../command-context.js';
import { standbyActivateCommand } from './activate.js';
import { standbySyncCommand } from './sync.js';

export function standbyCommands(y: Argv<GlobalArgs>, run: CommandRunner): Argv<GlobalArgs> {
  return y.command('standby', 'Sync and activate standby volumes (convoy create NAME --backup URL --standby)', (parent) =>
    standbyActivateCommand(standbySyncCommand(parent, run), run).demandCommand(1, 'name a standby command: sync or activate'),
  );
}
