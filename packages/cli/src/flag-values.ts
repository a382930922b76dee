import { ConvoyError } from '@convoy/core/lite';

/**
 * Turns repeated `key=value` flags into a map. Each value must hold exactly one `=`, as Convoy
 * required; anything else is an error naming the flag and the value.
 */
export function parseKeyValues(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const parts = item.split('=');
    if (parts.length !== 2 || parts[0] === '') {
      throw new ConvoyError('INVALID_ARGUMENT', `--${flag} ${JSON.stringify(item)} must be key=value with exactly one '='`);
    }
    out[parts[0] as string] = parts[1] as string;
  }
  return out;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as Convoy took them: `90s`, `5m`, `1h30m`, `500ms`; `0` means none. */
export function parseDuration(flag: string, text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number);
    consumed = part.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new ConvoyError('INVALID_ARGUMENT', `--${flag} ${JSON.stringify(text)} is not a duration: write e.g. 90s, 5m or 1h30m`);
  }
  return Math.round(total);
}
