/**
 * Timestamps in store records. Convoy wrote Go's `time.RubyDate` (`Mon Jan 02 15:04:05 -0700 2006`)
 * and so do we, in UTC, so Convoy can read our records; we read RubyDate and ISO-8601.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RUBY_DATE = /^(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

const two = (n: number): string => String(n).padStart(2, '0');

export function formatRubyDate(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000 ${date.getUTCFullYear()}`
  );
}

/** Parses RubyDate or ISO-8601; undefined for anything else (including Convoy's empty string). */
export function parseStoreTime(text: string): Date | undefined {
  const ruby = RUBY_DATE.exec(text);
  if (ruby) {
    const [, mon, day, hh, mm, ss, sign, offH, offM, year] = ruby;
    const month = MONTHS.indexOf(mon!);
    if (month < 0) return undefined;
    const utc = Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss));
    const offsetMs = (Number(offH) * 60 + Number(offM)) * 60_000 * (sign === '-' ? -1 : 1);
    return new Date(utc - offsetMs);
  }
  if (ISO_DATE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

/** A store timestamp as the model's ISO-8601 string; unreadable or empty times stay as they are. */
export function storeTimeToIso(text: string): string {
  return parseStoreTime(text)?.toISOString() ?? text;
}

/** A model timestamp (ISO) as a RubyDate for a record; anything unparseable is kept verbatim. */
export function isoToStoreTime(text: string): string {
  const date = parseStoreTime(text);
  return date ? formatRubyDate(date) : text;
}
