/**
 * Every table shows times one way: as ages, the way `docker ps` does ("3 hours ago", "in 5
 * minutes"). The daemon's answers carry Go's RubyDate or ISO-8601; both are read here.
 */
import { parseStoreTime } from '@convoy/core/lite';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A span of time in words, rounded as Docker's go-units does. */
function spanText(ms: number): string {
  if (ms < SECOND) return 'less than a second';
  if (ms < MINUTE) return plural(Math.floor(ms / SECOND), 'second');
  if (ms < 2 * MINUTE) return 'about a minute';
  if (ms < HOUR) return plural(Math.floor(ms / MINUTE), 'minute');
  if (ms < 2 * HOUR) return 'about an hour';
  if (ms < 2 * DAY) return plural(Math.floor(ms / HOUR), 'hour');
  if (ms < 14 * DAY) return plural(Math.floor(ms / DAY), 'day');
  if (ms < 90 * DAY) return plural(Math.floor(ms / (7 * DAY)), 'week');
  if (ms < 730 * DAY) return plural(Math.floor(ms / (30 * DAY)), 'month');
  return plural(Math.floor(ms / (365 * DAY)), 'year');
}

/** `3 hours ago` or `in 5 minutes`; `-` for no time; an unreadable time as it was given. */
export function age(time: string | null | undefined, now = Date.now()): string {
  if (time === undefined || time === null || time === '') return '-';
  const date = parseStoreTime(time);
  if (date === undefined) return time;
  const delta = now - date.getTime();
  return delta >= 0 ? `${spanText(delta)} ago` : `in ${spanText(-delta)}`;
}

/** A time as milliseconds since the epoch, for sorting; 0 when it cannot be read. */
export const timeValue = (time: string | undefined): number => (time ? (parseStoreTime(time)?.getTime() ?? 0) : 0);
