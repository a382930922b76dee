import { ConvoyError } from './errors.js';

/**
 * Parses a percentage as operators write them, `10%` or `10` (0 to 100, decimals allowed: `2.5%`).
 * Anything else, or outside 0..100, is refused naming `what`.
 */
export function parsePercent(text: string, what = 'percentage'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value >= 0 && value <= 100)) throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a percentage from 0% to 100% (e.g. 10%)`);
  return value;
}
