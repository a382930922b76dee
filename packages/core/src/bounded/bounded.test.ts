/* The bounded parsers: each reads what it should, and refuses beyond its range naming the flag, the value and the range. */
import { describe, expect, it } from 'vitest';
import { invalidArgument } from '../testing/refusal.js';
import { parseKeepWithin } from './calendar-span.js';
import { parseCount } from './count.js';
import { parseDuration } from './duration.js';

describe('parseDuration, within each kind', () => {
  it.each([
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1500],
    ['366d', 366 * 86_400_000],
    ['1.5s', 1500],
  ])('reads %j as an interval of %d ms', (text, ms) => {
    expect(parseDuration(text, '--every', 'interval')).toBe(ms);
  });

  it.each([
    ['100000000d', /--every "100000000d" is out of range: give a duration from 1s to 366d/],
    ['367d', /out of range/],
    ['999ms', /out of range/],
    ['0', /out of range/],
    ['9007199254740993ms', /out of range/],
    ['9'.repeat(400) + 'd', /out of range/],
    ['1x', /is not a duration/],
    ['', /is not a duration/],
    ['-5m', /is not a duration/],
  ])('refuses --every %j', (text, message) => {
    expect(invalidArgument(() => parseDuration(text, '--every', 'interval'))).toMatch(message);
  });

  it('0 is none where the kind admits it', () => {
    expect(parseDuration('0', '--jitter', 'jitter')).toBe(0);
    expect(invalidArgument(() => parseDuration('32d', '--jitter', 'jitter'))).toMatch(/--jitter "32d" is out of range: give a duration from 0 to 31d/);
    expect(invalidArgument(() => parseDuration('2d', '--cmd-timeout', 'commandTimeout'))).toMatch(/from 0 to 1d/);
  });
});

describe('parseCount', () => {
  it('reads digits and whole numbers', () => {
    expect(parseCount('7', '--keep-last', 'keep')).toBe(7);
    expect(parseCount(1_000_000, '--keep-last', 'keep')).toBe(1_000_000);
  });

  it.each(['-1', '1000001', '9007199254740993', '9'.repeat(100), -1, 1e300])('refuses %j as out of range, naming flag, value and range', (value) => {
    expect(invalidArgument(() => parseCount(value, '--keep-last', 'keep'))).toMatch(/^--keep-last .* is out of range: give a whole number from 0 to 1000000$/);
  });

  it.each(['1.5', '1e3', '', 'x', 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, true])(
    'refuses %j as not a whole number, naming flag, value and range',
    (value) => {
      expect(invalidArgument(() => parseCount(value, '--keep-last', 'keep'))).toMatch(
        /^--keep-last .* is not a whole number: give a whole number from 0 to 1000000$/,
      );
    },
  );
});

describe('parseKeepWithin', () => {
  it.each(['275000y', '9007199254740993d', '1001y', '12001m', `${'9'.repeat(70)}d`])('refuses %j as beyond 1000 years', (text) => {
    expect(invalidArgument(() => parseKeepWithin(text))).toMatch(/--keep-within ".*" is out of range: give at most 1000y/);
  });
});
