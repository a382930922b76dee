import { describe, expect, it } from 'vitest';
import { parseSize } from './size.js';

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['100m', 100 * 1024 ** 2],
    ['10G', 10 * 1024 ** 3],
    ['1TiB', 1024 ** 4],
    [' 2 kb ', 2048],
    ['1p', 1024 ** 5],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['1.5G', '-1', '', 'ten', '5x', '99999999999t'])('refuses %j naming the value', (text) => {
    expect(() => parseSize(text, 'vfs.defaultvolumesize')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('vfs.defaultvolumesize') }));
  });
});
