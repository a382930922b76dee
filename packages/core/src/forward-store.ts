import type { ObjectStore } from './objectstore.js';

/**
 * One way to wrap an `ObjectStore` (the metrics counter, the encryption seal): a wrapper names
 * only the members it changes and every other one is passed through whole, arguments and
 * options (`put`'s signal) included. Hand-written wrappers dropped members (`removeStaleWrites`,
 * so prune swept nothing) and options (`signal`, so uploads could not be cancelled).
 *
 * FORWARD lists every member of the contract: it is typed over `keyof ObjectStore` with `-?`, so
 * adding a member to ObjectStore without a line here fails to compile, and every wrapper built
 * on `forwardStore` forwards the new member from then on.
 */

/** The contract's methods (everything but the `url` and `stats` properties), each required. */
export type StoreMethods = { [K in Exclude<keyof ObjectStore, 'url' | 'stats'>]-?: NonNullable<ObjectStore[K]> };

/** Replacements for some methods; each may call the inner store's own. */
export type StoreOverrides = Partial<StoreMethods>;

type Forwarders = { readonly [K in keyof ObjectStore]-?: (inner: ObjectStore) => ObjectStore[K] };

const FORWARD: Forwarders = {
  url: (inner) => inner.url,
  stats: (inner) => inner.stats,
  get:
    (inner) =>
    (...args) =>
      inner.get(...args),
  getStream:
    (inner) =>
    (...args) =>
      inner.getStream(...args),
  getRange:
    (inner) =>
    (...args) =>
      inner.getRange(...args),
  put:
    (inner) =>
    (...args) =>
      inner.put(...args),
  head:
    (inner) =>
    (...args) =>
      inner.head(...args),
  list:
    (inner) =>
    (...args) =>
      inner.list(...args),
  listDir:
    (inner) =>
    (...args) =>
      inner.listDir(...args),
  delete:
    (inner) =>
    (...args) =>
      inner.delete(...args),
  // Optional members stay absent when the inner store lacks them: callers test for them.
  removeStaleWrites: (inner) => inner.removeStaleWrites && ((...args) => inner.removeStaleWrites!(...args)),
  close:
    (inner) =>
    (...args) =>
      inner.close(...args),
};

/** The names of the contract's methods, for wrappers that treat every call alike (counting). */
export const STORE_METHODS = (Object.keys(FORWARD) as Array<keyof ObjectStore>).filter((key): key is keyof StoreMethods => key !== 'url' && key !== 'stats');

/**
 * A store that behaves as `inner` except for `overrides`. `url` and `stats` are read from the
 * inner store at each access (its counters keep moving). An override of an optional method the
 * inner store lacks is dropped, so the wrapper never claims a capability the store has not.
 */
export function forwardStore(inner: ObjectStore, overrides: StoreOverrides = {}): ObjectStore {
  const wrapped = {} as ObjectStore;
  for (const key of Object.keys(FORWARD) as Array<keyof ObjectStore>) {
    if (key === 'url' || key === 'stats') {
      Object.defineProperty(wrapped, key, { enumerable: true, get: () => inner[key] });
      continue;
    }
    const own = FORWARD[key](inner);
    if (own === undefined) continue;
    Object.defineProperty(wrapped, key, { enumerable: true, value: overrides[key] ?? own });
  }
  return wrapped;
}
