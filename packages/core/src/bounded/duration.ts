import { ConvoyError } from '../errors.js';
import { DURATION_RANGES, type DurationKind, MAX_VALUE_TEXT, outOfRange } from './ranges.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Go-style durations as Convoy took them, plus days: `90s`, `5m`, `1h30m`, `500ms`, `7d`; `0`
 * means none. `what` names the value in the error (`--cmd-timeout`, `--every`); `kind` picks
 * its range in ranges.ts, and anything beyond it is refused, never rounded or wrapped.
 */
export function parseDuration(text: string, what: string, kind: DurationKind): number {
  const range = DURATION_RANGES[kind];
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  if (trimmed !== '0' && trimmed.length <= MAX_VALUE_TEXT) {
    const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
    for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
      total += Number(match[1]) * (UNITS_MS[match[2] as string] as number);
      consumed = part.lastIndex;
    }
    if (trimmed === '' || consumed !== trimmed.length) {
      throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a duration: write e.g. 90s, 5m, 1h30m or 7d`, {
        details: { field: what },
      });
    }
  } else if (trimmed !== '0') {
    throw outOfRange(what, text, durationRangeText(kind));
  }
  const ms = Math.round(total);
  if (!(ms >= range.min && ms <= range.max)) throw outOfRange(what, text, durationRangeText(kind));
  return ms;
}

/** `a duration from 1s to 366d`, as the errors and --help say it. */
export function durationRangeText(kind: DurationKind): string {
  const { min, max } = DURATION_RANGES[kind];
  return `a duration from ${formatDuration(min)} to ${formatDuration(max)}`;
}

/** The largest unit that divides `ms` exactly: 86400000 → `1d`, 90000 → `90s`, 0 → `0`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNITS_MS[unit]! === 0) return `${ms / UNITS_MS[unit]!}${unit}`;
  return `${ms}ms`;
}
