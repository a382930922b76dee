import { ConvoyError } from '@convoy/core';

const UNIT_SHIFT: Record<string, number> = { '': 0, k: 10, m: 20, g: 30, t: 40 };

/**
 * Parses Convoy's size syntax: whole bytes, or a whole number with a k/m/g/t suffix
 * (binary units, case-insensitive, an optional trailing `b` or `ib`): `512`, `100m`, `10G`, `1TiB`.
 * Fractions and negative sizes are refused rather than rounded, so nobody gets a surprise size.
 */
export function parseSize(input: string): number {
  const match = /^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(input);
  if (!match) {
    throw new ConvoyError('INVALID_ARGUMENT', `invalid size ${JSON.stringify(input)}: use whole bytes or a whole number with k, m, g or t (e.g. 512m, 10g)`);
  }
  const digits = match[1] as string;
  const unit = (match[2] as string).toLowerCase();
  const bytes = BigInt(digits) << BigInt(UNIT_SHIFT[unit] as number);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConvoyError('INVALID_ARGUMENT', `size ${JSON.stringify(input)} is too large`);
  }
  return Number(bytes);
}

/** Bytes in the largest binary unit that keeps one decimal: `1.5 GiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
