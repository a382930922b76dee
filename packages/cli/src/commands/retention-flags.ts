import type { Argv } from 'yargs';
import type { RetentionPolicy } from '@convoy/core';
import { ConvoyError } from '@convoy/core/lite';

/** The `--keep-*` flags (restic's), shared by `backup forget`, `snapshot forget` and `schedule create`. */
export interface KeepArgs {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
}

export const RETENTION_EPILOGUE =
  "Retention is restic's: items are walked newest first; --keep-last N keeps the N newest, and each of --keep-hourly/daily/weekly/monthly/yearly N " +
  'keeps the newest item of each of the N latest hours/days/ISO weeks/months/years that have one (periods in UTC); --keep-within 30d keeps everything ' +
  'younger than 30 days before the NEWEST item (y, m = months, d, h). An item kept by several rules lists them all. At least one rule is required.';

export function withKeepOptions<T>(y: Argv<T>, noun: string): Argv<T & KeepArgs> {
  return y
    .option('keep-last', { type: 'number', describe: `keep the N newest ${noun}` })
    .option('keep-hourly', { type: 'number', describe: `keep the newest of each of the last N hours that have ${noun}` })
    .option('keep-daily', { type: 'number', describe: `keep the newest of each of the last N days that have ${noun}` })
    .option('keep-weekly', { type: 'number', describe: `keep the newest of each of the last N ISO weeks that have ${noun}` })
    .option('keep-monthly', { type: 'number', describe: `keep the newest of each of the last N months that have ${noun}` })
    .option('keep-yearly', { type: 'number', describe: `keep the newest of each of the last N years that have ${noun}` })
    .option('keep-within', { type: 'string', describe: `keep all ${noun} younger than this span before the newest (e.g. 30d, 1y6m, 2d12h)` }) as Argv<T & KeepArgs>;
}

/** The policy the flags given describe; the daemon checks it (negative counts, bad spans). */
export function policyFromArgs(args: KeepArgs): RetentionPolicy {
  for (const [flag, value] of Object.entries(args)) {
    // yargs turns a count that is not a number into NaN, which JSON would send as null.
    if (flag.startsWith('keep') && typeof value === 'number' && Number.isNaN(value)) {
      const name = flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new ConvoyError('INVALID_ARGUMENT', `--${name} must be a whole number ≥ 0`);
    }
  }
  const policy: RetentionPolicy = {};
  if (args.keepLast !== undefined) policy.last = args.keepLast;
  if (args.keepHourly !== undefined) policy.hourly = args.keepHourly;
  if (args.keepDaily !== undefined) policy.daily = args.keepDaily;
  if (args.keepWeekly !== undefined) policy.weekly = args.keepWeekly;
  if (args.keepMonthly !== undefined) policy.monthly = args.keepMonthly;
  if (args.keepYearly !== undefined) policy.yearly = args.keepYearly;
  if (args.keepWithin !== undefined) policy.within = args.keepWithin;
  return policy;
}
