import { parseStoreUrl } from '@convoy/backup-store';
import type { ObjectStore, ObjectStoreDefinition, ObjectStoreRegistry, Options } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { storeOptionsFor } from './store-options.js';

/**
 * A backup store a request names, checked once before anything is looked up or locked: the URL
 * parsed, the package for its scheme found, and the endpoint (if any) accepted by that package.
 * Core knows no scheme: whether a store takes an endpoint, and what one looks like, is the store
 * package's rule (`ObjectStoreDefinition.checkEndpoint`).
 */
export interface StoreTarget {
  /** The store URL exactly as the user wrote it; backup URLs shown to them start with it. */
  written: string;
  url: URL;
  scheme: string;
  definition: ObjectStoreDefinition;
  endpoint: string | undefined;
}

export async function resolveStoreTarget(registry: ObjectStoreRegistry, written: string, endpoint: unknown): Promise<StoreTarget> {
  const url = parseStoreUrl(written);
  const scheme = url.protocol.replace(/:$/, '');
  const definition = await registry.resolve(scheme);
  return { written, url, scheme, definition, endpoint: checkEndpoint(definition, endpoint) };
}

function checkEndpoint(definition: ObjectStoreDefinition, endpoint: unknown): string | undefined {
  if (endpoint === undefined || endpoint === '') return undefined;
  if (typeof endpoint !== 'string') throw new ConvoyError('INVALID_ARGUMENT', `the endpoint must be a URL string, not ${JSON.stringify(endpoint)}`);
  if (!definition.checkEndpoint) {
    throw new ConvoyError('INVALID_ARGUMENT', `an endpoint (${endpoint}) is not accepted by ${definition.scheme}:// backup stores`);
  }
  return definition.checkEndpoint(endpoint);
}

/**
 * Opens the store with the daemon's settings for its scheme, runs `use` and closes the store
 * whatever happens.
 */
export async function withOpenStore<T>(
  target: StoreTarget,
  storeOptions: Options,
  use: (store: ObjectStore) => Promise<T>,
  onCloseError: (err: unknown) => void,
): Promise<T> {
  const options = storeOptionsFor(target.scheme, storeOptions);
  const store = await target.definition.open(target.url, target.endpoint === undefined ? { options } : { endpoint: target.endpoint, options });
  try {
    return await use(store);
  } finally {
    // The operation's outcome is already decided; a failing close must not turn a finished
    // backup into a reported failure (the user would retry and store it twice).
    await store.close().catch(onCloseError);
  }
}
