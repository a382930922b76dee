import { isConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { parseS3Settings } from './s3-options.js';
import { parseS3Url } from './s3-url.js';

describe('S3 store URLs', () => {
  it('reads both of Convoy spellings and normalises them', () => {
    expect(parseS3Url(new URL('s3://my-bucket@us-west-2/backups/convoy/'))).toEqual({
      bucket: 'my-bucket',
      region: 'us-west-2',
      prefix: 'backups/convoy',
      url: 's3://my-bucket@us-west-2/backups/convoy',
    });
    expect(parseS3Url(new URL('s3://my-bucket/x'))).toEqual({ bucket: 'my-bucket', region: undefined, prefix: 'x', url: 's3://my-bucket/x' });
    expect(parseS3Url(new URL('s3://my-bucket@eu-central-1/'))).toMatchObject({ prefix: '', url: 's3://my-bucket@eu-central-1/' });
  });

  it.each([
    ['s3://Bad_Bucket/x', 'bucket'],
    ['s3://ab/x', 'bucket'],
    ['s3://bucket@us_east/x', 'region'],
    ['s3://bucket:secret@us-east-1/x', 'password'],
    ['s3://bucket@us-east-1:9000/x', 'port'],
    ['s3://bucket@us-east-1/a%2F..%2Fb', '..'],
    ['s3://bucket@us-east-1/a//b', 'segment'],
    ['s3://bucket@us-east-1/x?backup=b', 'query'],
    ['vfs:///tmp', 'scheme'],
  ])('refuses %s', (url, why) => {
    let err: unknown;
    try {
      parseS3Url(new URL(url));
    } catch (e) {
      err = e;
    }
    expect(isConvoyError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain(why);
  });

  it('parses the documented options and refuses unknown or out-of-range ones', () => {
    expect(parseS3Settings({ 's3.pageSize': '7', 's3.plainPayload': 'false' })).toMatchObject({ pageSize: 7, plainPayload: false, maxAttempts: 5 });
    const bads: Array<Record<string, string>> = [
      { 's3.pageSize': '0' },
      { 's3.pageSize': '1001' },
      { 's3.partSize': '1024' },
      { 's3.plainPayload': 'yes' },
      { 's3.nope': '1' },
    ];
    for (const bad of bads) {
      expect(() => parseS3Settings(bad)).toThrow(/s3\./);
    }
  });
});
