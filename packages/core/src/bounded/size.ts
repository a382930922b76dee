import { ConvoyError } from '../errors.js';
import { MAX_VALUE_TEXT, outOfRange, SIZE_RANGES, type SizeKind } from './ranges.js';

const UNIT_EXPONENT: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const UNIT_NAMES = ['', 'k', 'm', 'g', 't', 'p'];

/**
 * Parses a size the way Convoy wrote them: whole bytes, or a whole number with a binary unit
 * k/m/g/t/p (case-insensitive, optionally followed by `b` or `ib`): `512`, `100m`, `10G`,
 * `1TiB`. Fractions and negatives are refused rather than rounded: a size that silently
 * differs from what the operator wrote is worse than an error. `what` names the value in it;
 * `kind` picks its range in ranges.ts.
 */
export function parseSize(text: string, what: string, kind: SizeKind = 'volume'): number {
  const match = text.length <= MAX_VALUE_TEXT ? /^\s*(\d+)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text) : null;
  if (!match) {
    if (/^\s*\d+\s*[kmgtp]?(?:i?b)?\s*$/i.test(text)) throw outOfRange(what, text, sizeRangeText(kind));
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `${what} ${JSON.stringify(text)} is not a size: write bytes or a whole number with k, m, g, t or p (e.g. 512m, 100G)`,
      { details: { field: what } },
    );
  }
  return checkSize(Number(match[1]) * 1024 ** (UNIT_EXPONENT[(match[2] ?? '').toLowerCase()] ?? 0), what, kind, text);
}

/** A size that arrived as a number (an API body): a whole number of bytes within the kind's range. */
export function checkSize(bytes: number, what: string, kind: SizeKind, shown: unknown = bytes): number {
  const { min, max } = SIZE_RANGES[kind];
  if (!(Number.isSafeInteger(bytes) && bytes >= min && bytes <= max)) throw outOfRange(what, shown, sizeRangeText(kind));
  return bytes;
}

/** `a size from 0 to 1p bytes`, as the errors and --help say it. */
export function sizeRangeText(kind: SizeKind): string {
  const { min, max } = SIZE_RANGES[kind];
  return `a size from ${formatSize(min)} to ${formatSize(max)}`;
}

function formatSize(bytes: number): string {
  let exponent = 0;
  while (exponent < UNIT_NAMES.length - 1 && bytes >= 1024 && bytes % 1024 === 0) {
    bytes /= 1024;
    exponent += 1;
  }
  return `${bytes}${UNIT_NAMES[exponent]}`;
}
