import { describe, expect, it } from 'vitest';
import type { OptionSpec } from './driver.js';
import { isConvoyError } from './errors.js';
import { checkDeclaredOptions, describeOptions, ownOptions } from './options.js';

const SPECS: OptionSpec[] = [
  { key: 'x.path', description: 'where', required: true },
  { key: 'x.size', description: 'how big', default: '1G' },
];

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isConvoyError(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('declared options', () => {
  it('accepts declared keys and refuses a typo, naming it and every known key', () => {
    expect(checkDeclaredOptions({ 'x.path': '/p' }, SPECS, 'driver x')).toEqual({ 'x.path': '/p' });
    const err = refusal(() => checkDeclaredOptions({ 'x.pathh': '/p', 'x.size': '2G' }, SPECS, 'driver x'));
    expect(err.message).toBe('unknown option x.pathh for driver x; known options: x.path, x.size');
    expect((err as { details?: unknown }).details).toEqual({ unknown: ['x.pathh'], known: ['x.path', 'x.size'] });
  });

  it('says when the owner takes no options at all', () => {
    expect(refusal(() => checkDeclaredOptions({ siez: '1g' }, [], 'driver memo')).message).toBe('unknown option siez for driver memo, which takes no options');
    expect(checkDeclaredOptions({}, [], 'driver memo')).toEqual({});
  });

  it("picks an owner's namespace out of everyone's options", () => {
    const all = { 'x.path': '/p', 'x.typo': '1', 'dm.fs': 'xfs', loose: 'y' };
    expect(ownOptions(all, SPECS)).toEqual({ 'x.path': '/p', 'x.typo': '1' });
    expect(ownOptions(all, [])).toEqual({});
  });

  it('describes options for help, with required and default', () => {
    expect(describeOptions(SPECS)).toEqual(['x.path: where (required)', 'x.size: how big (default 1G)']);
  });
});
