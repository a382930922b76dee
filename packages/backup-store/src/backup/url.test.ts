import { type ErrorCode, isConvoyError, ObjectStoreRegistry } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { formatBackupUrl, parseBackupUrl, parseStoreUrl } from './url.js';

function failure(fn: () => unknown): { code: ErrorCode; message: string } {
  try {
    fn();
  } catch (err) {
    expect(isConvoyError(err)).toBe(true);
    return err as { code: ErrorCode; message: string };
  }
  throw new Error('expected a ConvoyError');
}

describe('backup URLs', () => {
  it("round-trips Convoy's form, with & or its \\u0026 spelling", () => {
    const url = formatBackupUrl('s3://bucket@us-east-1/convoy', 'backup-0123456789abcdef', 'vol1');
    expect(url).toBe('s3://bucket@us-east-1/convoy?backup=backup-0123456789abcdef&volume=vol1');
    const expected = { storeUrl: 's3://bucket@us-east-1/convoy', backupName: 'backup-0123456789abcdef', volumeName: 'vol1' };
    expect(parseBackupUrl(url)).toEqual(expected);
    expect(parseBackupUrl(url.replace('&', '\\u0026'))).toEqual(expected);
    expect(parseBackupUrl(url.replace('&', 'u0026'))).toEqual(expected);
  });

  it.each([
    ['vfs:///backups', 'no ?backup'],
    ['vfs:///backups?backup=backup-1', 'must name both'],
    ['vfs:///backups?backup=../../etc&volume=vol1', 'invalid backup name'],
    ['vfs:///backups?backup=backup-1&volume=a', 'invalid volume name'],
    ['vfs:///backups?backup=backup-1&volume=vol%2F1', 'invalid volume name'],
  ])('refuses %s', (input, why) => {
    const err = failure(() => parseBackupUrl(input));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(why);
  });

  it('refuses malformed store URLs, and unknown schemes resolve to no store', async () => {
    expect(failure(() => parseStoreUrl('not a url')).code).toBe('INVALID_ARGUMENT');
    expect(failure(() => parseStoreUrl('://missing-scheme')).code).toBe('INVALID_ARGUMENT');
    const scheme = parseStoreUrl('ftp://host/path').protocol.replace(/:$/, '');
    const err = await new ObjectStoreRegistry(async (s) => {
      throw new Error(`cannot find ${s}`);
    })
      .resolve(scheme)
      .catch((e: unknown) => e);
    expect(isConvoyError(err, 'UNKNOWN_DRIVER')).toBe(true);
    expect((err as Error).message).toContain('ftp');
  });
});
