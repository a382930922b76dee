import { register } from 'node:module';
import type { ModuleImporter } from '@convoy/core';
import * as core from '@convoy/core';
import * as devmapper from '@convoy/driver-devmapper';
import * as vfs from '@convoy/driver-vfs';
import * as objectstoreFs from '@convoy/objectstore-fs';
import * as objectstoreS3 from '@convoy/objectstore-s3';

/**
 * The release executable's stand-in for daemon/import-package.ts: it has no node_modules, so
 * the built-in drivers and stores are bundled and looked up by package name. Anything else
 * (a `--driver-module` file) goes to Node's own loader, which loads files from disk; the
 * daemon's code allows that import (daemon-part.ts).
 *
 * Such a module imports `@convoy/core` as its peer. It gets the executable's: there may be no
 * other beside it, and another copy would have its own ConvoyError class, whose errors the
 * daemon could not tell from bugs (INTERNAL instead of their codes). A module resolution hook,
 * registered before the first such import, answers `@convoy/core` (and `/lite`, a subset)
 * with a module that re-exports the bundled one.
 */
const BUNDLED: Record<string, unknown> = {
  '@convoy/driver-devmapper': devmapper,
  '@convoy/driver-vfs': vfs,
  '@convoy/objectstore-fs': objectstoreFs,
  '@convoy/objectstore-s3': objectstoreS3,
};

export const importPackage: ModuleImporter = async (specifier) => BUNDLED[specifier] ?? importFromDisk(specifier);

/** Where the re-exporting module finds the bundled core. */
const CORE_GLOBAL = '__convoyBundledCore';
const CORE_URL = 'convoy-executable:@convoy/core';

/** Runs in Node's module-hooks thread; `initialize` gets the re-exporting module's source. */
const HOOKS = `
let source;
export function initialize(data) { source = data.source; }
export function resolve(specifier, context, next) {
  return specifier === '@convoy/core' || specifier === '@convoy/core/lite' ? { url: ${JSON.stringify(CORE_URL)}, shortCircuit: true } : next(specifier, context);
}
export function load(url, context, next) {
  return url === ${JSON.stringify(CORE_URL)} ? { format: 'module', source, shortCircuit: true } : next(url, context);
}`;

let coreProvided = false;

function provideBundledCore(): void {
  if (coreProvided) return;
  (globalThis as Record<string, unknown>)[CORE_GLOBAL] = core;
  const source = `const core = globalThis.${CORE_GLOBAL};\nexport const { ${Object.keys(core).join(', ')} } = core;\n`;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { source } });
  coreProvided = true;
}

/**
 * Node's import of a file. The executable allows it on purpose (daemon-part.ts), so Node's
 * one-time notice that this way of importing is experimental, which a user cannot act on, is
 * not printed; the import calls the notice's emitter synchronously.
 */
function importFromDisk(specifier: string): Promise<unknown> {
  provideBundledCore();
  return core.withoutNotice('vm.USE_MAIN_CONTEXT_DEFAULT_LOADER', () => import(specifier));
}
