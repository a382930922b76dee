import type { ObjectStoreRegistry, Options } from '@convoy/core';
import { ConvoyError, toConvoyError } from '@convoy/core';

/**
 * Store settings are `<scheme>.<setting>` (`s3.pageSize=2`), as driver options are
 * `<driver>.<setting>`. Each store is opened with its own scheme's keys only, so it can refuse
 * every key it does not know (a typo) without tripping over another store's settings.
 */
export function storeOptionsFor(scheme: string, all: Options): Options {
  const prefix = `${scheme}.`;
  return Object.fromEntries(Object.entries(all).filter(([key]) => key.startsWith(prefix)));
}

/**
 * Checks every `--store-opts` pair when the daemon starts, before anything is created: the key
 * names a store scheme that resolves to an installed store package, and that store accepts the
 * value. A bad one is an error naming it, instead of a failure at the first backup.
 */
export async function checkStoreOptions(registry: ObjectStoreRegistry, all: Options): Promise<void> {
  const schemes = new Set<string>();
  for (const key of Object.keys(all)) {
    const dot = key.indexOf('.');
    if (dot <= 0 || dot === key.length - 1)
      throw new ConvoyError('INVALID_ARGUMENT', `--store-opts ${key}: a store option is <scheme>.<setting>, e.g. s3.pageSize=500`);
    schemes.add(key.slice(0, dot));
  }
  for (const scheme of schemes) {
    const own = storeOptionsFor(scheme, all);
    try {
      const definition = await registry.resolve(scheme);
      definition.checkOptions(own);
    } catch (err) {
      const error = toConvoyError(err);
      throw new ConvoyError(error.code, `--store-opts ${Object.keys(own).join(', ')}: ${error.message}`, { cause: err });
    }
  }
}
