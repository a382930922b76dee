import {
  forwardStore,
  type ModuleImporter,
  type ObjectStore,
  type ObjectStoreDefinition,
  ObjectStoreRegistry,
  STORE_METHODS,
  type StoreOverrides,
} from '@convoy/core';
import type { ConvoyMetrics } from './convoy-metrics.js';

/**
 * A store registry whose stores report their requests to the metrics as they go: after each
 * call the growth of the store's own counters (`stats`: get, put, head, list, delete, parts,
 * retries — whatever the store keeps) is added, so nothing is counted twice or guessed.
 */
export class CountingStoreRegistry extends ObjectStoreRegistry {
  constructor(
    private readonly metrics: ConvoyMetrics,
    importer?: ModuleImporter,
  ) {
    super(importer);
  }

  override async resolve(scheme: string): Promise<ObjectStoreDefinition> {
    const def = await super.resolve(scheme);
    return { ...def, open: async (url, opts) => countingStore(await def.open(url, opts), scheme, this.metrics) };
  }
}

/**
 * Every method of the contract is counted (the store's counters are read after each call).
 * Built on forwardStore, so members it does not name (put's signal, any the contract gains) pass
 * through whole. Blocks are not counted here: a backup's summary says how many it stored, in
 * either layout.
 */
function countingStore(store: ObjectStore, scheme: string, metrics: ConvoyMetrics): ObjectStore {
  const seen: Record<string, number> = {};
  const sync = () => {
    for (const [kind, value] of Object.entries(store.stats as unknown as Record<string, number>)) {
      const grown = value - (seen[kind] ?? 0);
      if (typeof value !== 'number' || grown <= 0) continue;
      seen[kind] = value;
      if (kind === 'retries') metrics.storeRetries.inc({ scheme }, grown);
      else metrics.storeRequests.inc({ scheme, kind }, grown);
    }
  };
  const counted: StoreOverrides = {};
  for (const method of STORE_METHODS) {
    const call = store[method]?.bind(store) as ((...args: unknown[]) => unknown) | undefined;
    if (call === undefined) continue;
    (counted as Record<string, unknown>)[method] = method === 'list' ? countedListing(call, sync) : countedCall(call, sync);
  }
  return forwardStore(store, counted);
}

function countedCall(call: (...args: unknown[]) => unknown, sync: () => void) {
  return async (...args: unknown[]): Promise<unknown> => {
    try {
      return await call(...args);
    } finally {
      sync();
    }
  };
}

function countedListing(call: (...args: unknown[]) => unknown, sync: () => void) {
  return async function* (...args: unknown[]): AsyncIterable<unknown> {
    try {
      yield* call(...args) as AsyncIterable<unknown>;
    } finally {
      sync();
    }
  };
}
