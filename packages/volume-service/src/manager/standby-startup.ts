/**
 * What a daemon killed in the middle of `create --standby` (or of a delete) leaves in the standby
 * records, settled when the manager opens. A create writes its record, as a journal, before the
 * restore starts, and marks it done after the commit; a driver's commit makes a restored volume
 * visible only once every block is durable. So at start-up a create's journal whose volume exists
 * is complete and is cleared (the volume holds the backup), and a record whose volume no driver
 * has is removed (the restore never committed, or the delete removed the volume): never a
 * standby record without its volume, never a restored volume that is not standby. A record whose
 * volume a driver cannot look up now is kept as it is.
 */
import type { Logger } from '@convoy/core';
import { toConvoyError } from '@convoy/core';
import type { StandbyRecords } from './standby-records.js';
import { isCreateJournal, withoutJournal } from './standby-rules.js';
import type { StartupProblem } from './types.js';

export async function settleStandbys(
  records: StandbyRecords,
  volumeExists: (name: string) => Promise<boolean | undefined>,
  log: Logger,
): Promise<StartupProblem[]> {
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
      const exists = state && (await volumeExists(name));
      if (!state || exists === undefined) continue;
      if (!exists) {
        await records.remove(name);
        log.warn('a standby record without its volume was removed (a create --standby or a delete was interrupted)', {
          volume: name,
          backup: state.backupName,
        });
      } else if (isCreateJournal(state)) {
        await records.put(name, { ...withoutJournal(state), syncedAt: new Date().toISOString() });
        log.info('an interrupted create --standby had committed its restore: the standby is complete', { volume: name, backup: state.backupName });
      }
    } catch (err) {
      const error = toConvoyError(err);
      problems.push({ code: error.code, message: `the standby record of volume ${name} could not be settled: ${error.message}` });
    }
  }
  return problems;
}
