import { invalidArgument } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { applyRetentionPolicy, type Dated, isoWeek, type RetentionPolicy, validateRetentionPolicy } from './policy.js';

const HOUR = 3_600_000;
const item = (name: string, createdAt: string): Dated => ({ name, createdAt });

/** One item per hour at :30, from 2025-01-01T00:30Z for `days` days (the last: 2026-02-04T23:30Z for 400). */
function hourly(days: number): Dated[] {
  const start = Date.UTC(2025, 0, 1, 0, 30);
  return Array.from({ length: days * 24 }, (_, i) => {
    const iso = new Date(start + i * HOUR).toISOString();
    return item(`b-${iso.slice(0, 13)}`, iso);
  });
}

/** "name: reason,reason" lines of what a policy keeps, newest first. */
function survivors(items: Dated[], policy: RetentionPolicy): string[] {
  return applyRetentionPolicy(items, policy).keep.map(({ item, reasons }) => `${item.name.slice(2)}: ${reasons.join(',')}`);
}

describe('retention over one backup per hour for 400 days', () => {
  const items = hourly(400);

  it('keeps the newest of each hour, day, ISO week, month and year, with every reason', () => {
    // 2026-02-04 is a Wednesday; ISO weeks end on Sundays (02-01, 01-25, 01-18).
    const expected = [
      '2026-02-04T23: hourly,daily,weekly,monthly,yearly',
      ...Array.from({ length: 23 }, (_, h) => `2026-02-04T${String(22 - h).padStart(2, '0')}: hourly`),
      '2026-02-03T23: daily',
      '2026-02-02T23: daily',
      '2026-02-01T23: daily,weekly',
      '2026-01-31T23: daily,monthly',
      '2026-01-30T23: daily',
      '2026-01-29T23: daily',
      '2026-01-25T23: weekly',
      '2026-01-18T23: weekly',
      '2025-12-31T23: monthly,yearly',
      '2025-11-30T23: monthly',
      '2025-10-31T23: monthly',
      '2025-09-30T23: monthly',
      '2025-08-31T23: monthly',
      '2025-07-31T23: monthly',
      '2025-06-30T23: monthly',
      '2025-05-31T23: monthly',
      '2025-04-30T23: monthly',
      '2025-03-31T23: monthly',
    ];
    expect(survivors(items, { hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 })).toEqual(expected);
    const decision = applyRetentionPolicy(items, { hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 });
    expect(decision.keep.length + decision.remove.length).toBe(9600);
    expect(decision.remove).toHaveLength(9600 - expected.length);
  });

  it('keep-last counts items, not periods, and adds its reason to the others', () => {
    expect(survivors(items, { last: 3, daily: 2 })).toEqual([
      '2026-02-04T23: last,daily',
      '2026-02-04T22: last',
      '2026-02-04T21: last',
      '2026-02-03T23: daily',
    ]);
  });

  it('yearly keeps the newest of each year that exists, however many are asked for', () => {
    expect(survivors(items, { yearly: 10 })).toEqual(['2026-02-04T23: yearly', '2025-12-31T23: yearly']);
  });

  it('keep-within 2d keeps the items strictly younger than two days before the newest', () => {
    const kept = survivors(items, { within: '2d' });
    expect(kept).toHaveLength(48);
    expect(kept[0]).toBe('2026-02-04T23: within 2d');
    expect(kept.at(-1)).toBe('2026-02-03T00: within 2d'); // 02-02T23:30 is exactly 2 days older: not kept
  });

  it('keep-within months are calendar months back from the newest', () => {
    const kept = applyRetentionPolicy(items, { within: '1m' }).keep;
    expect(kept.at(-1)?.item.createdAt).toBe('2026-01-05T00:30:00.000Z');
  });

  it('keep-within and buckets together: reasons accumulate', () => {
    expect(survivors(items, { within: '3h', monthly: 2 })).toEqual([
      '2026-02-04T23: monthly,within 3h',
      '2026-02-04T22: within 3h',
      '2026-02-04T21: within 3h',
      '2026-01-31T23: monthly',
    ]);
  });
});

describe('retention edge cases', () => {
  it('identical times: the greater name counts as newer, whatever the input order', () => {
    const a = item('backup-a', '2026-01-01T10:00:00Z');
    const b = item('backup-b', '2026-01-01T10:00:00Z');
    for (const input of [
      [a, b],
      [b, a],
    ]) {
      const decision = applyRetentionPolicy(input, { daily: 1 });
      expect(decision.keep.map((k) => k.item.name)).toEqual(['backup-b']);
      expect(decision.remove.map((r) => r.name)).toEqual(['backup-a']);
    }
    expect(applyRetentionPolicy([a, b], { last: 2 }).keep.map((k) => k.item.name)).toEqual(['backup-b', 'backup-a']);
  });

  it('two in one hour: only the newer is that hour’s', () => {
    const items = [item('x1', '2026-01-01T10:00:00Z'), item('x2', '2026-01-01T10:59:59Z'), item('x3', '2026-01-01T09:30:00Z')];
    const decision = applyRetentionPolicy(items, { hourly: 2 });
    expect(decision.keep.map((k) => k.item.name)).toEqual(['x2', 'x3']);
    expect(decision.remove.map((r) => r.name)).toEqual(['x1']);
  });

  it('periods are UTC: 23:30Z and 00:30Z the next day are two days (and here two months) everywhere', () => {
    const items = [item('late', '2026-02-28T23:30:00Z'), item('early', '2026-03-01T00:30:00Z')];
    expect(applyRetentionPolicy(items, { daily: 5 }).keep).toHaveLength(2);
    expect(applyRetentionPolicy(items, { monthly: 5 }).keep.map((k) => k.item.name)).toEqual(['early', 'late']);
  });

  it('ISO weeks across a year boundary', () => {
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'))).toEqual({ year: 2026, week: 1 }); // Thursday
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toEqual({ year: 2026, week: 53 }); // Friday
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toEqual({ year: 2025, week: 1 }); // Monday
    const items = [item('fri', '2027-01-01T12:00:00Z'), item('mon', '2026-12-28T12:00:00Z'), item('sun', '2026-12-27T12:00:00Z')];
    expect(applyRetentionPolicy(items, { weekly: 2 }).keep.map((k) => k.item.name)).toEqual(['fri', 'sun']);
  });

  it('nothing to keep from nothing; a count above the number of items keeps them all', () => {
    expect(applyRetentionPolicy([], { last: 3 })).toEqual({ keep: [], remove: [] });
    expect(applyRetentionPolicy(hourly(1), { last: 100 }).remove).toEqual([]);
  });

  it('an item without a readable time is refused before anything is decided', () => {
    expect(() => applyRetentionPolicy([item('bad', 'yesterday')], { last: 1 })).toThrow(/bad has no readable creation time/);
  });
});

describe('bad policies are refused with the rule named', () => {
  it.each([
    [{ last: -1 }, /--keep-last -1 is out of range: give a whole number from 0 to 1000000/],
    [{ daily: 1.5 }, /--keep-daily 1.5 is not a whole number: give a whole number from 0 to 1000000/],
    [{ hourly: 1_000_001 }, /--keep-hourly 1000001 is out of range/],
    [{ within: '1001y' }, /--keep-within "1001y" is out of range: give at most 1000y/],
    [{ within: '275000y' }, /is out of range/],
    [{ within: '9007199254740993d' }, /is out of range/],
    [{ within: '12001m' }, /is out of range/],
    [{ allowRemovingNewest: 'yes' }, /--allow-removing-newest must be true or false/],
    [{ weekly: '3' }, /--keep-weekly must be a whole number/],
    [{}, /no keep rule given/],
    [{ last: 0, daily: 0 }, /no keep rule given/],
    [{ within: '30 days' }, /--keep-within "30 days" is not a duration/],
    [{ within: '5x' }, /is not a duration/],
    [{ within: '0d' }, /is zero/],
    [{ forever: 1 }, /unknown retention rule "forever"/],
  ])('%j', (policy, message) => {
    expect(invalidArgument(() => validateRetentionPolicy(policy))).toMatch(message);
  });

  it('accepts restic durations up to 1000 years in any unit', () => {
    for (const within of ['1000y', '12000m', '366000d', '8784000h', '999y11m']) expect(validateRetentionPolicy({ within })).toEqual({ within });
  });

  it('accepts restic durations', () => {
    expect(validateRetentionPolicy({ within: '1y2m3d4h' })).toEqual({ within: '1y2m3d4h' });
  });
});

describe('the newest item is never removed unless asked by name', () => {
  const items = [item('a', '2026-01-01T00:00:00Z'), item('b', '2026-01-02T00:00:00Z'), item('c', '2026-01-03T00:00:00Z')];

  it('a policy without keep rules is refused; with allowRemovingNewest it removes everything', () => {
    expect(invalidArgument(() => applyRetentionPolicy(items, {}))).toMatch(/--allow-removing-newest to remove everything/);
    const decision = applyRetentionPolicy(items, { allowRemovingNewest: true });
    expect(decision.keep).toEqual([]);
    expect(decision.remove.map((r) => r.name)).toEqual(['c', 'b', 'a']);
  });

  it('the widest --keep-within keeps everything (the newest included)', () => {
    expect(applyRetentionPolicy(items, { within: '1000y' }).remove).toEqual([]);
  });

  it('a span reaching before the earliest Date is refused, nothing removed, rather than keeping nothing', () => {
    const ancient = [item('old', '-271000-01-01T00:00:00.000Z'), item('older', '-271000-01-01T00:00:00.000Z')];
    expect(invalidArgument(() => applyRetentionPolicy(ancient, { within: '1000y' }))).toMatch(
      /reaches before the earliest time there is; nothing was removed|reaches before the earliest time there is from the newest item/,
    );
  });
});
