import { ConvoyError } from '../errors.js';
import { KEEP_WITHIN_MAX_YEARS, MAX_VALUE_TEXT, outOfRange } from './ranges.js';

/** A calendar span as restic's `--keep-within` takes it: `1y6m`, `30d`, `2d12h`. */
export interface CalendarSpan {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const UNITS: Record<string, keyof CalendarSpan> = { y: 'years', m: 'months', d: 'days', h: 'hours' };
/** How many of each unit make a year, at the most generous (leap years, 31-day months). */
const PER_YEAR: CalendarSpan = { years: 1, months: 12, days: 366, hours: 366 * 24 };

/**
 * Parses restic's duration: numbers each followed by y (years), m (MONTHS, not minutes), d or h,
 * e.g. `1y2m3d4h`. Calendar units, normalised as Go's AddDate (restic) and JavaScript's Date do:
 * one month back from 31 March is "31 February", that is 3 March (2 March in a leap year).
 * A span longer than KEEP_WITHIN_MAX_YEARS is refused: beyond JavaScript's Date range it would
 * make the cut-off "Invalid Date" and keep nothing. `what` names the value in errors.
 */
export function parseKeepWithin(text: string, what = '--keep-within'): CalendarSpan {
  const span: CalendarSpan = { years: 0, months: 0, days: 0, hours: 0 };
  const part = /(\d+)([ymdh])/gy;
  let consumed = 0;
  if (text.length <= MAX_VALUE_TEXT) {
    for (let match = part.exec(text); match; match = part.exec(text)) {
      span[UNITS[match[2]!]!] += Number(match[1]);
      consumed = part.lastIndex;
    }
  } else if (/^(\d+[ymdh])+$/.test(text)) {
    throw outOfRange(what, text, keepWithinRangeText());
  }
  if (text === '' || consumed !== text.length) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `${what} ${JSON.stringify(text)} is not a duration: write whole numbers with y, m (months), d or h, e.g. 30d, 1y6m, 2d12h`,
      { details: { field: what } },
    );
  }
  const years = (Object.keys(span) as Array<keyof CalendarSpan>).reduce((sum, unit) => sum + span[unit] / PER_YEAR[unit], 0);
  if (!(years <= KEEP_WITHIN_MAX_YEARS)) throw outOfRange(what, text, keepWithinRangeText());
  if (years === 0) {
    throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is zero; it would keep only the newest item — give a longer span`, {
      details: { field: what },
    });
  }
  return span;
}

/** `at most 1000y (or the same in m, d or h)`, as the errors and --help say it. */
export function keepWithinRangeText(): string {
  return `at most ${KEEP_WITHIN_MAX_YEARS}y (or the same in m, d or h)`;
}
