import type { Options } from '../driver.js';
import { ConvoyError } from '../errors.js';
import type { ObjectStore } from '../objectstore.js';
import type { ObjectStoreRegistry } from '../registry.js';
import { parseStoreUrl } from '../backup/url.js';
import { storeOptionsFor } from './store-options.js';

/**
 * Opens the backup store a URL names, through the package registered for its scheme, with the
 * daemon's settings for that scheme, runs `use` and closes the store whatever happens. A custom
 * endpoint is only meaningful for S3 (as in Convoy); anywhere else it is refused rather than
 * silently ignored.
 */
export async function withBackupStore<T>(
  registry: ObjectStoreRegistry,
  storeUrl: string,
  { endpoint, storeOptions }: { endpoint: string | undefined; storeOptions: Options },
  use: (store: ObjectStore) => Promise<T>,
  onCloseError: (err: unknown) => void,
): Promise<T> {
  const url = parseStoreUrl(storeUrl);
  const scheme = url.protocol.replace(/:$/, '');
  if (endpoint !== undefined && scheme !== 's3') {
    throw new ConvoyError('INVALID_ARGUMENT', `an endpoint (${endpoint}) is only accepted with s3:// backup stores, not ${scheme}://`);
  }
  const definition = await registry.resolve(scheme);
  const options = storeOptionsFor(scheme, storeOptions);
  const store = await definition.open(url, endpoint === undefined ? { options } : { endpoint, options });
  try {
    return await use(store);
  } finally {
    // The operation's outcome is already decided; a failing close must not turn a finished
    // backup into a reported failure (the user would retry and store it twice).
    await store.close().catch(onCloseError);
  }
}

/** Checks a user-supplied endpoint early, before anything is looked up or locked. */
export function validateEndpoint(endpoint: unknown): string | undefined {
  if (endpoint === undefined || endpoint === '') return undefined;
  if (typeof endpoint !== 'string') throw new ConvoyError('INVALID_ARGUMENT', 'the S3 endpoint must be a URL string');
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConvoyError('INVALID_ARGUMENT', `malformed S3 endpoint ${JSON.stringify(endpoint)}; expected http(s)://host[:port]`);
  }
  return endpoint;
}
