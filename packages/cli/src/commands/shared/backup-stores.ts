// `schedule create --backup STORE[,keep-RULE=N...]`, repeatable: the first store gets each run's
// backup, the others a copy of it; each store's keep rules ride with its URL, so a store and its
// retention can never be paired up wrongly.
import type { RetentionPolicy } from '@convoy/backup-store';
import { ConvoyError } from '@convoy/core/lite';
import type { ScheduleCopy, ScheduleSpec } from '@convoy/volume-service';
import { type KeepArgs, policyFromArgs } from './retention-flags.js';

export const BACKUP_STORES_HELP =
  'back each snapshot up to this store URL (vfs:///path or s3://bucket@region/prefix). Repeat it for more stores (3-2-1): the first gets the backup, ' +
  "each other one a copy of it with the same name and times (as `backup copy`). After a store's URL, its own retention may follow, comma-separated: " +
  '--backup "s3://bucket@region/site-b,keep-daily=7,keep-monthly=12" (keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly, keep-within); ' +
  'a store without its own uses the --keep-* flags';

const RULES: Record<string, keyof KeepArgs> = {
  'keep-last': 'keepLast',
  'keep-hourly': 'keepHourly',
  'keep-daily': 'keepDaily',
  'keep-weekly': 'keepWeekly',
  'keep-monthly': 'keepMonthly',
  'keep-yearly': 'keepYearly',
  'keep-within': 'keepWithin',
};

/** One `--backup` value: the store URL, and its keep rules when any follow it. */
export function parseBackupStore(value: string): { dest: string; keep?: RetentionPolicy } {
  const [dest, ...rules] = value.split(',');
  if (!dest) throw new ConvoyError('INVALID_ARGUMENT', `--backup ${JSON.stringify(value)}: give a store URL first`);
  if (rules.length === 0) return { dest };
  const args: KeepArgs = {};
  for (const rule of rules) {
    const [name, count, ...extra] = rule.split('=');
    const key = RULES[name!.trim()];
    if (!key || count === undefined || count === '' || extra.length > 0) {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `--backup ${JSON.stringify(value)}: ${JSON.stringify(rule)} is not a keep rule; after the store URL give e.g. ,keep-daily=7,keep-last=3`,
      );
    }
    if (args[key] !== undefined) throw new ConvoyError('INVALID_ARGUMENT', `--backup ${JSON.stringify(value)}: ${name} is given twice`);
    (args as Record<string, string>)[key] = count;
  }
  return { dest, keep: policyFromArgs(args) };
}

/**
 * The spec's `backup` (first store, with the settings that shape its backups) and `copies` (the
 * others). With several stores, --s3-endpoint goes to those on s3:// (one of them may be a
 * directory); with one, to it, as ever.
 */
export function backupStoresOf(
  values: string | string[],
  settings: Omit<NonNullable<ScheduleSpec['backup']>, 'dest' | 'keep'>,
): Pick<ScheduleSpec, 'backup' | 'copies'> {
  const [first, ...others] = (Array.isArray(values) ? values : [values]).map(parseBackupStore);
  const { endpoint, ...shaping } = settings;
  const endpointOf = (dest: string) => (endpoint === undefined || (others.length > 0 && !dest.startsWith('s3://')) ? {} : { endpoint });
  const copies: ScheduleCopy[] = others.map((store) => ({ ...store, ...endpointOf(store.dest) }));
  return { backup: { ...first!, ...shaping, ...endpointOf(first!.dest) }, ...(copies.length > 0 ? { copies } : {}) };
}
