import { type CalendarSpan, ConvoyError, parseCount, parseKeepWithin } from '@convoy/core';

/**
 * A retention policy with restic's semantics (`restic forget --keep-*`), applied to anything
 * with a name and a time: backups in a store, snapshots on the host.
 *
 * - The items are walked newest first. Each rule keeps the newest item of each of its periods
 *   (hour, day, ISO week, month, year) until it has kept its count; `last` keeps the newest N.
 * - An item kept by several rules lists every one of them: reasons accumulate.
 * - `within` keeps every item younger than the span (strictly, as restic), measured back from
 *   the NEWEST item (not from now), so a host that stopped backing up never forgets its last good backups.
 * - Periods are calendar periods in UTC, so the answer is the same on every host.
 * - Ties (identical times) are ordered by name, the greater name counting as the newer, so the
 *   outcome never depends on the order the store listed them in.
 * - The newest item is never removed, whatever the rules compute (reason `newest`), unless the
 *   policy says `allowRemovingNewest` (`--allow-removing-newest`): this is the one place that
 *   rule lives, so `backup forget`, `snapshot forget` and schedules all hold it.
 */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** restic's duration: `30d`, `1y6m`, `2d12h` (y years, m months, d days, h hours). */
  within?: string;
  /**
   * Lets retention remove the newest item too; with it, a policy without keep rules removes
   * everything. Only `backup forget` and `snapshot forget` take it; a schedule never does.
   */
  allowRemovingNewest?: boolean;
}

export interface Dated {
  name: string;
  /** ISO-8601. */
  createdAt: string;
}

export type KeepReason = 'newest' | 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | `within ${string}`;

export interface RetentionDecision<T extends Dated> {
  /** Newest first, each with every rule that keeps it. */
  keep: Array<{ item: T; reasons: KeepReason[] }>;
  /** Newest first. */
  remove: T[];
}

const COUNT_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type CountRule = (typeof COUNT_RULES)[number];

/** Checks a policy as it arrives from a user: counts are whole numbers ≥ 0, at least one rule. */
export function validateRetentionPolicy(policy: unknown): RetentionPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy))
    throw new ConvoyError('INVALID_ARGUMENT', 'a retention policy must be an object of keep rules');
  const out: RetentionPolicy = {};
  for (const [key, value] of Object.entries(policy)) {
    if (value === undefined) continue;
    if ((COUNT_RULES as readonly string[]).includes(key)) {
      if (typeof value !== 'number')
        throw new ConvoyError('INVALID_ARGUMENT', `--keep-${key} must be a whole number, not ${JSON.stringify(value)}`, { details: { rule: key } });
      out[key as CountRule] = parseCount(value, `--keep-${key}`, 'keep');
    } else if (key === 'within') {
      if (typeof value !== 'string') throw new ConvoyError('INVALID_ARGUMENT', `--keep-within must be a duration such as 30d, not ${JSON.stringify(value)}`);
      parseKeepWithin(value);
      out.within = value;
    } else if (key === 'allowRemovingNewest') {
      if (typeof value !== 'boolean') throw new ConvoyError('INVALID_ARGUMENT', `--allow-removing-newest must be true or false, not ${JSON.stringify(value)}`);
      if (value) out.allowRemovingNewest = true;
    } else {
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `unknown retention rule ${JSON.stringify(key)}; use last, hourly, daily, weekly, monthly, yearly, within or allowRemovingNewest`,
      );
    }
  }
  if (!COUNT_RULES.some((rule) => (out[rule] ?? 0) > 0) && out.within === undefined && !out.allowRemovingNewest) {
    // restic refuses this too: an empty policy would forget everything (here only when asked by name).
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      'no keep rule given (or all are 0): name at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within (or --allow-removing-newest to remove everything); nothing was removed',
    );
  }
  return out;
}

export function applyRetentionPolicy<T extends Dated>(items: readonly T[], policy: RetentionPolicy): RetentionDecision<T> {
  const checked = validateRetentionPolicy(policy);
  const dated = items.map((item) => ({ item, time: timeOf(item) }));
  dated.sort((a, b) => b.time.getTime() - a.time.getTime() || (a.item.name < b.item.name ? 1 : a.item.name > b.item.name ? -1 : 0));

  const buckets = COUNT_RULES.filter((rule) => (checked[rule] ?? 0) > 0).map((rule) => ({
    rule,
    left: checked[rule]!,
    lastPeriod: undefined as string | undefined,
  }));
  const newest = dated[0]?.time;
  const withinSpan = checked.within === undefined ? undefined : parseKeepWithin(checked.within);
  const cutoff = newest && withinSpan ? subtractSpan(newest, withinSpan) : undefined;
  if (cutoff && Number.isNaN(cutoff.getTime())) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `--keep-within ${checked.within} reaches before the earliest time there is from the newest item (${newest!.toISOString()}); nothing was removed`,
    );
  }

  const decision: RetentionDecision<T> = { keep: [], remove: [] };
  dated.forEach(({ item, time }, index) => {
    const reasons: KeepReason[] = [];
    if (cutoff && time.getTime() > cutoff.getTime()) reasons.push(`within ${checked.within}`);
    for (const bucket of buckets) {
      if (bucket.left === 0) continue;
      const period = periodOf(bucket.rule, time, index);
      if (period === bucket.lastPeriod) continue;
      bucket.lastPeriod = period;
      bucket.left -= 1;
      reasons.push(bucket.rule);
    }
    // Each rule today keeps the newest anyway; this makes it the policy's guarantee, so a rule
    // added later (or a bound that slips) cannot remove it.
    if (index === 0 && reasons.length === 0 && !checked.allowRemovingNewest) reasons.push('newest');
    if (reasons.length > 0) decision.keep.push({ item, reasons: sortReasons(reasons) });
    else decision.remove.push(item);
  });
  return decision;
}

/** The rules in a fixed order (last, hourly, …, yearly, within), whatever matched first. */
function sortReasons(reasons: KeepReason[]): KeepReason[] {
  const rank = (r: KeepReason) => {
    const i = (COUNT_RULES as readonly string[]).indexOf(r);
    return i < 0 ? COUNT_RULES.length : i;
  };
  return reasons.sort((a, b) => rank(a) - rank(b));
}

function timeOf(item: Dated): Date {
  const time = new Date(item.createdAt);
  if (Number.isNaN(time.getTime())) {
    throw new ConvoyError(
      'CORRUPT',
      `${item.name} has no readable creation time (${JSON.stringify(item.createdAt)}); retention cannot place it, nothing was removed`,
      {
        details: { name: item.name },
      },
    );
  }
  return time;
}

/** The calendar period an item falls in for a rule; `last` gives every item its own. */
function periodOf(rule: CountRule, t: Date, index: number): string {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + 1;
  const d = t.getUTCDate();
  switch (rule) {
    case 'last':
      return `#${index}`;
    case 'hourly':
      return `${y}-${m}-${d}T${t.getUTCHours()}`;
    case 'daily':
      return `${y}-${m}-${d}`;
    case 'weekly': {
      const { year, week } = isoWeek(t);
      return `${year}-W${week}`;
    }
    case 'monthly':
      return `${y}-${m}`;
    case 'yearly':
      return `${y}`;
  }
}

/** ISO-8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(t: Date): { year: number; week: number } {
  const day = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return { year, week };
}

/** `t` minus a calendar span, as restic computes it (AddDate(-y, -m, -d) then the hours). */
function subtractSpan(t: Date, span: CalendarSpan): Date {
  const out = new Date(t.getTime());
  out.setUTCFullYear(out.getUTCFullYear() - span.years, out.getUTCMonth() - span.months, out.getUTCDate() - span.days);
  return new Date(out.getTime() - span.hours * 3_600_000);
}
