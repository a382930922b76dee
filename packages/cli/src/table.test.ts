import { describe, expect, it } from 'vitest';
import { age } from './age.js';
import { layoutTable } from './table.js';

describe('layoutTable', () => {
  const table = {
    headers: ['NAME', 'DRIVER', 'MOUNTPOINT'],
    rows: [
      ['db', 'vfs', '/var/lib/rancher/convoy/vfs/mounts/a-very-long-volume-name-that-goes-on-and-on'],
      ['web', 'devicemapper', '-'],
    ],
  };

  it('lays out columns as wide as their widest cell when no width is given (--table into a pipe)', () => {
    expect(layoutTable(table).split('\n')).toEqual([
      'NAME  DRIVER        MOUNTPOINT',
      'db    vfs           /var/lib/rancher/convoy/vfs/mounts/a-very-long-volume-name-that-goes-on-and-on',
      'web   devicemapper  -',
    ]);
  });

  it('fits a terminal: the widest column gives up room and cut cells end in …', () => {
    const lines = layoutTable(table, 50).split('\n');
    expect(lines.every((line) => line.length <= 50)).toBe(true);
    expect(lines[1]).toBe('db    vfs           /var/lib/rancher/convoy/vfs/m…');
    expect(lines[2]).toBe('web   devicemapper  -');
  });

  it('never cuts a column below its header or 8 characters, even when the terminal is narrower', () => {
    const lines = layoutTable({ headers: ['A', 'SNAPSHOT'], rows: [['abcdefghijklmnop', 'snapshot-0123456789abcdef']] }, 10).split('\n');
    expect(lines).toEqual(['A         SNAPSHOT', 'abcdefg…  snapsho…']);
  });

  it('prints the empty text without rows, and a footer under the rows', () => {
    expect(layoutTable({ headers: ['NAME'], rows: [], empty: 'no volumes' })).toBe('no volumes');
    expect(layoutTable({ headers: ['NAME'], rows: [['a']], footer: 'kept 1' })).toBe('NAME\na\nkept 1');
  });
});

describe('age: one time style, as docker ps', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  it('reads RubyDate and ISO-8601, past and future', () => {
    expect(age('Mon Dec 07 09:00:00 +0000 2026', now)).toBe('3 hours ago');
    expect(age('Mon Dec 07 10:00:00 -0200 2026', now)).toBe('less than a second ago');
    expect(age('2026-12-07T11:59:30.500Z', now)).toBe('29 seconds ago');
    expect(age('2026-12-07T11:58:30Z', now)).toBe('about a minute ago');
    expect(age('2026-12-07T10:45:00Z', now)).toBe('about an hour ago');
    expect(age('2026-12-07T12:05:00Z', now)).toBe('in 5 minutes');
    expect(age('2026-11-30T12:00:00Z', now)).toBe('7 days ago');
    expect(age('2026-10-01T12:00:00Z', now)).toBe('9 weeks ago');
    expect(age('2024-12-01T12:00:00Z', now)).toBe('2 years ago');
  });
  it('shows - for no time and an unreadable time as it came', () => {
    expect(age(undefined, now)).toBe('-');
    expect(age(null, now)).toBe('-');
    expect(age('', now)).toBe('-');
    expect(age('yesterday', now)).toBe('yesterday');
  });
});
