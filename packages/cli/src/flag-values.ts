import { ConvoyError, type DurationKind, parseDuration as parseDurationText } from '@convoy/core/lite';

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

/** Go-style durations (`90s`, `5m`, `1h30m`, `7d`) within `kind`'s range; the error names the flag. */
export function parseDuration(flag: string, text: string, kind: DurationKind): number {
  return parseDurationText(text, `--${flag}`, kind);
}
