/* parsePercent: reads what operators write, refuses nonsense and values beyond the kind's range, naming the flag. */
import { describe, expect, it } from 'vitest';
import { invalidArgument } from '../testing/refusal.js';
import { checkPercent, parsePercent } from './percent.js';

describe('parsePercent', () => {
  it.each([
    ['10%', 10],
    ['0', 0],
    ['100%', 100],
    [' 2.5 % ', 2.5],
  ])('reads %j as %d', (text, value) => expect(parsePercent(text, '--max-unused', 'maxUnused')).toBe(value));

  it.each([
    ['-1%', /--max-unused "-1%" is out of range: give a percentage from 0% to 100%/],
    ['101%', /out of range/],
    ['9'.repeat(400), /is not a percentage/],
    ['', /is not a percentage/],
    ['10%%', /is not a percentage/],
    ['ten', /is not a percentage/],
    ['1e2', /is not a percentage/],
    ['0x10', /is not a percentage/],
    ['NaN', /is not a percentage/],
    ['Infinity', /is not a percentage/],
  ])('refuses %j naming the option', (text, message) => {
    expect(invalidArgument(() => parsePercent(text, '--max-unused', 'maxUnused'))).toMatch(message);
    expect(invalidArgument(() => parsePercent(text, '--max-unused', 'maxUnused'))).toContain('--max-unused');
  });

  it.each([-0.5, 100.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d from an API body', (value) => {
    expect(invalidArgument(() => checkPercent(value, 'MaxUnusedPercent', 'maxUnused'))).toMatch(/MaxUnusedPercent .* is out of range/);
  });
});
