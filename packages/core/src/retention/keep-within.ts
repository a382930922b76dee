import { ConvoyError } from '../errors.js';

/** A calendar span as restic's `--keep-within` takes it: `1y6m`, `30d`, `2d12h`. */
export interface CalendarSpan {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const UNITS: Record<string, keyof CalendarSpan> = { y: 'years', m: 'months', d: 'days', h: 'hours' };

/**
 * Parses restic's duration: numbers each followed by y (years), m (MONTHS, not minutes), d or h,
 * e.g. `1y2m3d4h`. Calendar units, normalised as Go's AddDate (restic) and JavaScript's Date do:
 * one month back from 31 March is "31 February", that is 3 March (2 March in a leap year).
 */
export function parseKeepWithin(text: string): CalendarSpan {
  const span: CalendarSpan = { years: 0, months: 0, days: 0, hours: 0 };
  const part = /(\d+)([ymdh])/gy;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    span[UNITS[match[2]!]!] += Number(match[1]);
    consumed = part.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new ConvoyError('INVALID_ARGUMENT', `--keep-within ${JSON.stringify(text)} is not a duration: write whole numbers with y, m (months), d or h, e.g. 30d, 1y6m, 2d12h`);
  }
  if (span.years + span.months + span.days + span.hours === 0) {
    throw new ConvoyError('INVALID_ARGUMENT', `--keep-within ${JSON.stringify(text)} is zero; it would keep only the newest item — give a longer span`);
  }
  return span;
}
