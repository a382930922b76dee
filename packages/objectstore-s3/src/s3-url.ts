import { ConvoyError, validateKeyPrefix } from '@convoy/core';

export interface S3Location {
  bucket: string;
  /** From the URL (`s3://bucket@region/...`); undefined means the SDK's own (AWS_REGION, ~/.aws/config). */
  region: string | undefined;
  /** Key prefix inside the bucket, without leading or trailing `/`; '' for the bucket root. */
  prefix: string;
  /** The normalised store URL. */
  url: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

/**
 * Convoy's two spellings: `s3://bucket@region/prefix` (the bucket is the URL's user, the region
 * its host) and `s3://bucket/prefix` (region from the SDK's environment).
 */
export function parseS3Url(url: URL): S3Location {
  const shown = JSON.stringify(url.href);
  const bad = (why: string): ConvoyError =>
    new ConvoyError('INVALID_ARGUMENT', `${shown} is not a valid S3 store URL: ${why}; expected s3://bucket@region/prefix or s3://bucket/prefix`);
  if (url.protocol !== 's3:') throw bad('the scheme must be s3');
  if (url.password !== '' || url.port !== '') throw bad('it has a password or a port (use the endpoint option for a custom server)');
  if (url.search !== '' || url.hash !== '') throw bad('a store URL has no query or fragment');
  const hasRegion = url.username !== '';
  const bucket = decode(hasRegion ? url.username : url.hostname, bad);
  const region = hasRegion ? decode(url.hostname, bad) : undefined;
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw bad(`bucket name ${JSON.stringify(bucket)} breaks S3's rules (3-63 of a-z 0-9 . -)`);
  if (region !== undefined && !REGION.test(region)) throw bad(`region ${JSON.stringify(region)} is not a region name like us-east-1`);
  const prefix = decode(url.pathname, bad).replace(/^\/+/, '').replace(/\/+$/, '');
  try {
    validateKeyPrefix(prefix);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const at = region ? `${bucket}@${region}` : bucket;
  return { bucket, region, prefix, url: `s3://${at}/${prefix}` };
}

function decode(text: string, bad: (why: string) => ConvoyError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad('it has a malformed %-escape');
  }
}
