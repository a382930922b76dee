/**
 * What a daemon killed in the middle of `create --standby` leaves in the standby records,
 * settled when the manager opens. A create writes its record, as a journal, before the restore
 * starts, and marks it done after the commit; a driver's commit makes a restored volume visible
 * only once every block is durable. So at start-up a create's journal whose volume exists is
 * complete and is cleared (the volume holds the backup): never a restored volume that is not a
 * standby, nor a complete standby that says its sync was interrupted.
 *
 * Nothing is removed here. A record whose volume no loaded driver has may belong to a driver left
 * out of this start (another `--drivers` list, a pool not attached): removing it would make that
 * volume an ordinary, writable one when its driver is back. Such a record is inert (records are
 * read only for a volume that exists), and the next create of that name replaces it.
 */
import type { Logger } from '@convoy/core';
import { toConvoyError } from '@convoy/core';
import type { StandbyRecords } from './standby-records.js';
import { isCreateJournal, withoutJournal } from './standby-rules.js';
import type { StartupProblem } from './types.js';

export async function settleStandbys(records: StandbyRecords, volumeExists: (name: string) => Promise<boolean>, log: Logger): Promise<StartupProblem[]> {
  const problems: StartupProblem[] = [];
  let names: string[];
  try {
    names = await records.names();
  } catch (err) {
    const error = toConvoyError(err);
    return [{ code: error.code, message: `the standby records could not be listed: ${error.message}` }];
  }
  for (const name of names) {
    try {
      const state = await records.get(name);
      if (!state || !isCreateJournal(state) || !(await volumeExists(name))) continue;
      await records.put(name, { ...withoutJournal(state), syncedAt: new Date().toISOString() });
      log.info('an interrupted create --standby had committed its restore: the standby is complete', { volume: name, backup: state.backupName });
    } catch (err) {
      const error = toConvoyError(err);
      problems.push({ code: error.code, message: `the standby record of volume ${name} could not be settled: ${error.message}` });
    }
  }
  return problems;
}
