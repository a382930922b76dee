import { ConvoyError } from '../errors.js';
import { COUNT_RANGES, type CountKind, MAX_VALUE_TEXT, outOfRange } from './ranges.js';

/**
 * A whole count, as a flag or `-o` option gives it (text of digits) or an API body does (a
 * number): anything else, a fraction, a sign, or a value beyond the kind's range in ranges.ts,
 * is refused with the flag, the value and the range named.
 */
export function parseCount(value: unknown, what: string, kind: CountKind): number {
  const integerText = typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value);
  const n = typeof value === 'number' ? value : integerText && (value as string).length <= MAX_VALUE_TEXT ? Number(value) : Number.NaN;
  if (!integerText && !Number.isInteger(n)) {
    throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(value)} is not a whole number: give ${countRangeText(kind)}`, {
      details: { field: what },
    });
  }
  const { min, max } = COUNT_RANGES[kind];
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) throw outOfRange(what, value, countRangeText(kind));
  return n;
}

/** `a whole number from 0 to 1000000`, as the errors and --help say it. */
export function countRangeText(kind: CountKind): string {
  const { min, max } = COUNT_RANGES[kind];
  return `a whole number from ${min} to ${max}`;
}
