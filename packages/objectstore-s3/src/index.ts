import { ConvoyError, defineObjectStore, type ObjectStoreOptions } from '@convoy/core';
import { parseS3Settings } from './s3-options.js';
import { S3ObjectStore } from './s3-store.js';
import { parseS3Url } from './s3-url.js';

export { parseS3Settings, S3_OPTION_KEYS, S3_OPTION_SPECS, type S3Settings } from './s3-options.js';
export { S3ObjectStore, type S3ObjectStoreStats } from './s3-store.js';
export { parseS3Url, type S3Location } from './s3-url.js';

/**
 * Opens `s3://bucket@region/prefix` or `s3://bucket/prefix` and checks the bucket exists.
 * `opts.endpoint` selects an S3-compatible server (path-style); `opts.options` takes the
 * `s3.*` settings documented in the README.
 */
export async function openS3ObjectStore(url: URL, opts: ObjectStoreOptions = {}): Promise<S3ObjectStore> {
  const location = parseS3Url(url);
  const settings = parseS3Settings(opts.options);
  const store = new S3ObjectStore(location, settings, opts.endpoint ? validateEndpoint(opts.endpoint) : undefined);
  try {
    await store.checkBucket();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** An S3-compatible server's origin: http(s)://host[:port], nothing else. */
function validateEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConvoyError('INVALID_ARGUMENT', `S3 endpoint ${JSON.stringify(endpoint)} is not a URL; write e.g. http://127.0.0.1:9000`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.username) {
    throw new ConvoyError('INVALID_ARGUMENT', `S3 endpoint ${JSON.stringify(endpoint)} must be http(s)://host[:port] with no path or credentials`);
  }
  return url.origin;
}

export default defineObjectStore({
  scheme: 's3',
  description: 'Backup store in an S3 bucket or an S3-compatible server: s3://bucket@region/prefix or s3://bucket/prefix (region from the SDK environment).',
  open: openS3ObjectStore,
  checkOptions: (options) => void parseS3Settings(options),
  checkEndpoint: validateEndpoint,
});
