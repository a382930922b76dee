import { ObjectStoreRegistry, type ModuleImporter, type ObjectStore, type ObjectStoreDefinition } from '@convoy/core';
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
  const counted =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } finally {
        sync();
      }
    };
  return {
    url: store.url,
    get stats() {
      return store.stats;
    },
    get: counted((k) => store.get(k)),
    getStream: counted((k) => store.getStream(k)),
    getRange: counted((k, offset, length) => store.getRange(k, offset, length)),
    head: counted((k) => store.head(k)),
    listDir: counted((p) => store.listDir(p)),
    delete: counted((keys) => store.delete(keys)),
    put: counted(async (key, body) => {
      await store.put(key, body);
      if (key.includes('/blocks/')) {
        const tally = metrics.tally.getStore();
        if (tally) tally.blocksUploaded += 1;
      }
    }),
    async *list(prefix) {
      try {
        yield* store.list(prefix);
      } finally {
        sync();
      }
    },
    close: counted(() => store.close()),
  };
}
