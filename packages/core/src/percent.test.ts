import { describe, expect, it } from 'vitest';
import { isConvoyError } from './errors.js';
import { parsePercent } from './percent.js';

describe('parsePercent', () => {
  it.each([
    ['10%', 10],
    ['0', 0],
    ['100%', 100],
    [' 2.5 % ', 2.5],
  ])('reads %j as %d', (text, value) => expect(parsePercent(text)).toBe(value));

  it.each(['', '-1%', '101%', '10%%', 'ten', '1e2', '0x10', 'NaN', 'Infinity'])('refuses %j naming the option', (text) => {
    let err: unknown;
    try {
      parsePercent(text, '--max-unused');
    } catch (e) {
      err = e;
    }
    expect(isConvoyError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('--max-unused');
  });
});
