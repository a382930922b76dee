import type { RetentionPolicy } from '@convoy/backup-store';
import { countRangeText, keepWithinRangeText, parseCount } from '@convoy/core/lite';
import type { Argv } from 'yargs';

/** The `--keep-*` flags (restic's), shared by `backup forget`, `snapshot forget` and `schedule create`. */
export interface KeepArgs {
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepWithin?: string;
  allowRemovingNewest?: boolean;
}

export const RETENTION_EPILOGUE =
  "Retention is restic's: items are walked newest first; --keep-last N keeps the N newest, and each of --keep-hourly/daily/weekly/monthly/yearly N " +
  'keeps the newest item of each of the N latest hours/days/ISO weeks/months/years that have one (periods in UTC); --keep-within 30d keeps everything ' +
  `younger than 30 days before the NEWEST item (y, m = months, d, h). An item kept by several rules lists them all. At least one rule is required. ` +
  `Counts are ${countRangeText('keep')}; --keep-within is ${keepWithinRangeText()}. The newest item is always kept (reason "newest"), unless a forget is given --allow-removing-newest.`;

const COUNT_FLAGS = [
  ['last', 'keepLast', (noun: string) => `keep the N newest ${noun}`],
  ['hourly', 'keepHourly', (noun: string) => `keep the newest of each of the last N hours that have ${noun}`],
  ['daily', 'keepDaily', (noun: string) => `keep the newest of each of the last N days that have ${noun}`],
  ['weekly', 'keepWeekly', (noun: string) => `keep the newest of each of the last N ISO weeks that have ${noun}`],
  ['monthly', 'keepMonthly', (noun: string) => `keep the newest of each of the last N months that have ${noun}`],
  ['yearly', 'keepYearly', (noun: string) => `keep the newest of each of the last N years that have ${noun}`],
] as const;

/**
 * Adds the keep flags; `allowRemovingNewest` adds `--allow-removing-newest` too (the forget
 * commands, never a schedule). Counts are read as text so the bounded parser sees exactly what
 * was typed (yargs would turn `9007199254740993` into another number, and `x` into NaN).
 */
export function withKeepOptions<T>(y: Argv<T>, noun: string, opts: { allowRemovingNewest?: boolean } = {}): Argv<T & KeepArgs> {
  let out = y as Argv<T & KeepArgs>;
  for (const [rule, , describe] of COUNT_FLAGS) out = out.option(`keep-${rule}`, { type: 'string', describe: describe(noun) }) as Argv<T & KeepArgs>;
  out = out.option('keep-within', {
    type: 'string',
    describe: `keep all ${noun} younger than this span before the newest (e.g. 30d, 1y6m, 2d12h; ${keepWithinRangeText()})`,
  }) as Argv<T & KeepArgs>;
  if (!opts.allowRemovingNewest) return out;
  return out.option('allow-removing-newest', {
    type: 'boolean',
    describe: `allow removing the newest of the ${noun} too; with no keep rule, remove them ALL`,
  }) as Argv<T & KeepArgs>;
}

/** The policy the flags given describe; counts are checked here, the rest by the daemon. */
export function policyFromArgs(args: KeepArgs): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const [rule, key] of COUNT_FLAGS) {
    const text = args[key];
    if (text !== undefined) policy[rule] = parseCount(text, `--keep-${rule}`, 'keep');
  }
  if (args.keepWithin !== undefined) policy.within = args.keepWithin;
  if (args.allowRemovingNewest) policy.allowRemovingNewest = true;
  return policy;
}

/** `--dry-run` of the forget commands. */
export const DRY_RUN_OPTION = {
  type: 'boolean',
  default: false,
  describe: 'list what would be removed and why each kept one is kept; remove nothing',
} as const;
