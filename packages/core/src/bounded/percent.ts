import { ConvoyError } from '../errors.js';
import { MAX_VALUE_TEXT, outOfRange, PERCENT_RANGES, type PercentKind } from './ranges.js';

/**
 * A percentage as operators write them, `10%` or `10` (decimals allowed: `2.5%`): anything
 * else is refused naming `what`, and a value beyond the kind's range in ranges.ts is refused
 * with the flag, the value and the range named.
 */
export function parsePercent(text: string, what: string, kind: PercentKind): number {
  const match = text.length <= MAX_VALUE_TEXT ? /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text) : null;
  if (!match) {
    if (/^\s*-\d+(?:\.\d+)?\s*%?\s*$/.test(text)) throw outOfRange(what, text, percentRangeText(kind));
    throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a percentage: give ${percentRangeText(kind)} (e.g. 10%)`, {
      details: { field: what },
    });
  }
  return checkPercent(Number(match[1]), what, kind, text);
}

/** A percentage that arrived as a number (an API body): finite and within the kind's range. */
export function checkPercent(value: number, what: string, kind: PercentKind, shown: unknown = value): number {
  const { min, max } = PERCENT_RANGES[kind];
  if (!(Number.isFinite(value) && value >= min && value <= max)) throw outOfRange(what, shown, percentRangeText(kind));
  return value;
}

/** `a percentage from 0% to 100%`, as the errors and --help say it. */
export function percentRangeText(kind: PercentKind): string {
  const { min, max } = PERCENT_RANGES[kind];
  return `a percentage from ${min}% to ${max}%`;
}
