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
    expect(parseSize(text, '--size')).toBe(bytes);
  });

  it.each(['1.5G', '-1', '', 'ten', '5x'])('refuses %j naming the value', (text) => {
    expect(() => parseSize(text, 'vfs.defaultvolumesize')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('vfs.defaultvolumesize') }),
    );
  });

  it.each(['99999999999t', '1025t', '2p', '9007199254740993', '9'.repeat(400)])('refuses %j as beyond the volume range, naming it', (text) => {
    expect(() => parseSize(text, '--size')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^--size ".*" is out of range: give a size from 0 to 1p$/) }),
    );
  });
});
