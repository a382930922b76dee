import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from './size.js';

describe('parseSize', () => {
  it('reads bytes and binary k/m/g/t suffixes in either case', () => {
    expect(parseSize('512')).toBe(512);
    expect(parseSize('4k')).toBe(4096);
    expect(parseSize('100M')).toBe(100 * 2 ** 20);
    expect(parseSize('10g')).toBe(10 * 2 ** 30);
    expect(parseSize('2T')).toBe(2 * 2 ** 40);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('3mb')).toBe(3 * 2 ** 20);
  });

  it('refuses fractions, negatives, unknown units and sizes past 2^53', () => {
    for (const bad of ['1.5g', '-1', '10x', '', 'g', '1 2', '9999999t']) {
      expect(() => parseSize(bad), bad).toThrow(/size/);
    }
  });
});

describe('formatBytes', () => {
  it('uses the largest binary unit', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 2 ** 30)).toBe('10.0 GiB');
  });
});
