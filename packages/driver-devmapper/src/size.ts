import { ConvoyError } from '@convoy/core';

const BINARY_UNITS = ['', 'k', 'm', 'g', 't', 'p'];

/**
 * Parses `dm.defaultvolumesize` and friends the way Convoy did: whole bytes, or a whole number
 * with a binary unit (`100G`, `512m`, `2MiB`). Fractions are refused, not rounded, because a
 * size that silently differs from what the operator wrote is worse than an error.
 */
export function parseSizeOption(key: string, text: string): number {
  const match = /^(\d+)([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  const exponent = match ? BINARY_UNITS.indexOf((match[2] ?? '').toLowerCase()) : -1;
  if (!match || exponent < 0) {
    throw new ConvoyError('INVALID_ARGUMENT', `${key}=${JSON.stringify(text)} is not a size: write bytes or a whole number with K, M, G, T or P (e.g. 100G)`);
  }
  const bytes = Number(match[1]) * 1024 ** exponent;
  if (!Number.isSafeInteger(bytes)) throw new ConvoyError('INVALID_ARGUMENT', `${key}=${text} is too large`);
  return bytes;
}

/** `2 MiB`, `100 GiB`, `512 B`: for messages, exact when the size is a whole unit. */
export function describeBytes(bytes: number): string {
  let exponent = 0;
  while (exponent < BINARY_UNITS.length - 1 && bytes >= 1024 ** (exponent + 1) && bytes % 1024 ** (exponent + 1) === 0) exponent++;
  return exponent === 0 ? `${bytes} B` : `${bytes / 1024 ** exponent} ${BINARY_UNITS[exponent]?.toUpperCase()}iB`;
}
