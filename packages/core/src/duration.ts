import { ConvoyError } from './errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Go-style durations as Convoy took them, plus days: `90s`, `5m`, `1h30m`, `500ms`, `7d`; `0`
 * means none. `what` names the value in the error (`--cmd-timeout`, `--every`).
 */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNITS_MS[match[2] as string] as number);
    consumed = part.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new ConvoyError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a duration: write e.g. 90s, 5m, 1h30m or 7d`);
  }
  return Math.round(total);
}
