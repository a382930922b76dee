import { ConvoyError } from './errors.js';

const UNIT_EXPONENT: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * Parses a size the way Convoy wrote them: whole bytes, or a whole number with a binary unit
 * k/m/g/t/p (case-insensitive, optionally followed by `b` or `ib`): `512`, `100m`, `10G`,
 * `1TiB`. Fractions and negatives are refused rather than rounded: a size that silently
 * differs from what the operator wrote is worse than an error. `what` names the value in it.
 */
export function parseSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) {
    throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a size: write bytes or a whole number with k, m, g, t or p (e.g. 512m, 100G)`);
  }
  const bytes = Number(match[1]) * 1024 ** (UNIT_EXPONENT[(match[2] ?? '').toLowerCase()] ?? 0);
  if (!Number.isSafeInteger(bytes)) throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is too large`);
  return bytes;
}
