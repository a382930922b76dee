import { ConvoyError } from '../errors.js';

/**
 * The one table of what a user may give: every duration, size, count and percentage Convoy reads from a
 * flag, an API body, a Docker `-o` option or a saved file has a kind here, and each kind a
 * stated range. A value outside it is refused with an error naming the flag, the value and the
 * range, before anything is saved or removed; nothing downstream ever meets a number that
 * overflows a Date, a timer or a safe integer. The README's "Limits" table repeats this one.
 */

const SECOND = 1000;
const DAY = 86_400_000;
const KIB = 1024;
const TIB = KIB ** 4;
const PIB = KIB ** 5;

export interface Range {
  min: number;
  max: number;
}

/** Durations, in milliseconds. */
export const DURATION_RANGES = {
  /** `schedule create --every`: at least a second, at most a leap year. */
  interval: { min: SECOND, max: 366 * DAY },
  /** `--jitter`: a month at most, so a run never drifts past several of its occurrences. */
  jitter: { min: 0, max: 31 * DAY },
  /** `daemon --cmd-timeout`: 0 (none) or up to a day. */
  commandTimeout: { min: 0, max: DAY },
  /** `backup prune --grace`: up to a leap year. */
  grace: { min: 0, max: 366 * DAY },
  /** `io.convoy.hooks.timeout` and `daemon --hook-timeout`: a snapshot's hooks hold its volume's lock, so 10 minutes at most. */
  hookTimeout: { min: SECOND, max: 600 * SECOND },
} as const satisfies Record<string, Range>;

/** Sizes, in bytes. */
export const SIZE_RANGES = {
  /** A volume (`--size`, `-o size=`, `vfs.defaultvolumesize`, `dm.defaultvolumesize`); 0 means the driver's default. */
  volume: { min: 0, max: PIB },
  /** A backup's block size before the layout's own rule (a power of two from 64 KiB to 2 MiB) checks it. */
  block: { min: 1, max: TIB },
} as const satisfies Record<string, Range>;

/** Whole counts. */
export const COUNT_RANGES = {
  /** `--keep-last|hourly|daily|weekly|monthly|yearly`. */
  keep: { min: 0, max: 1_000_000 },
  /** `--iops`, for drivers that take them. */
  iops: { min: 0, max: 100_000_000 },
  /** `daemon --backup-concurrency`: blocks in flight per backup or restore. */
  backupConcurrency: { min: 1, max: 64 },
} as const satisfies Record<string, Range>;

/** Percentages. */
export const PERCENT_RANGES = {
  /** `backup prune --max-unused` (`MaxUnusedPercent`): how much of a pack may be unused before a prune rewrites it. */
  maxUnused: { min: 0, max: 100 },
} as const satisfies Record<string, Range>;

/** `--keep-within`: a calendar span of at most this many years (or the same in months, days or hours). */
export const KEEP_WITHIN_MAX_YEARS = 1000;

export type DurationKind = keyof typeof DURATION_RANGES;
export type SizeKind = keyof typeof SIZE_RANGES;
export type CountKind = keyof typeof COUNT_RANGES;
export type PercentKind = keyof typeof PERCENT_RANGES;

/** The longest text any of these parsers reads; longer is refused before it is scanned. */
export const MAX_VALUE_TEXT = 64;

/** The error every parser raises for a value beyond its range: flag, value and range, all named. */
export function outOfRange(what: string, value: unknown, range: string): ConvoyError {
  return new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(value)} is out of range: give ${range}`, { details: { field: what } });
}
