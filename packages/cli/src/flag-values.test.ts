import { describe, expect, it } from 'vitest';
import { parseDuration, parseKeyValues } from './flag-values.js';

describe('parseKeyValues', () => {
  it('maps repeated key=value flags', () => {
    expect(parseKeyValues('driver-opts', ['vfs.path=/srv/convoy', 'dm.fs=xfs'])).toEqual({ 'vfs.path': '/srv/convoy', 'dm.fs': 'xfs' });
    expect(parseKeyValues('driver-opts', undefined)).toEqual({});
    expect(parseKeyValues('opt', ['empty='])).toEqual({ empty: '' });
  });

  it('refuses a value without exactly one =', () => {
    expect(() => parseKeyValues('driver-opts', ['vfs.path'])).toThrow('--driver-opts "vfs.path" must be key=value with exactly one \'=\'');
    expect(() => parseKeyValues('driver-opts', ['a=b=c'])).toThrow(/exactly one/);
    expect(() => parseKeyValues('driver-opts', ['=b'])).toThrow(/key=value/);
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('cmd-timeout', '5m', 'commandTimeout')).toBe(300_000);
    expect(parseDuration('cmd-timeout', '90s', 'commandTimeout')).toBe(90_000);
    expect(parseDuration('cmd-timeout', '1h30m', 'commandTimeout')).toBe(5_400_000);
    expect(parseDuration('cmd-timeout', '250ms', 'commandTimeout')).toBe(250);
    expect(parseDuration('cmd-timeout', '1.5s', 'commandTimeout')).toBe(1500);
    expect(parseDuration('cmd-timeout', '0', 'commandTimeout')).toBe(0);
    expect(parseDuration('grace', '2d', 'grace')).toBe(172_800_000);
    expect(() => parseDuration('cmd-timeout', '2d', 'commandTimeout')).toThrow('--cmd-timeout "2d" is out of range: give a duration from 0 to 1d');
  });

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['5', '5 m', 'm', '', '5w', '-1s', '1m foo']) {
      expect(() => parseDuration('cmd-timeout', bad, 'commandTimeout'), bad).toThrow(/--cmd-timeout .* is not a duration/);
    }
  });
});
