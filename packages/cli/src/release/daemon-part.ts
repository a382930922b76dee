import path from 'node:path';
import { getAsset } from 'node:sea';
import vm from 'node:vm';
import * as lite from '@convoy/core/lite';

/**
 * The daemon's code, outside the release executable's startup snapshot. Every start
 * deserializes the whole snapshot, so it holds only what a client command runs; what the
 * client defers with `import()` (the daemon, the engine, drivers and stores) is a second bundle,
 * carried as the SEA asset CONVOY_DAEMON_PART and compiled on first use (release/bundle.mjs
 * turns each such `import()` into a `daemonPart()` lookup).
 *
 * That bundle takes `@convoy/core`'s errors from this one, so a ConvoyError from the daemon's
 * code is a ConvoyError to the client's printer.
 */

/** Set by the release build (release/bundle.mjs). */
declare const CONVOY_DAEMON_PART: string;

/** What the bundle exports: each deferred module's namespace, by the key the build gave it. */
type DaemonPart = Record<string, unknown>;

let loaded: DaemonPart | undefined;

function daemonPart(): DaemonPart {
  if (loaded) return loaded;
  const module = { exports: {} as { default?: DaemonPart } };
  const run = vm.compileFunction(getAsset(CONVOY_DAEMON_PART, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: CONVOY_DAEMON_PART,
    // Its `import()` (a `--driver-module` file) goes to Node's own loader, as in a script Node
    // loaded from disk; without it, V8 refuses every import() in compiled code.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // Like the executable's own require: Node's modules only.
  const requireBuiltin = (id: string): unknown => {
    const builtin = process.getBuiltinModule(id);
    if (builtin === undefined) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    return builtin;
  };
  run(module.exports, requireBuiltin, module, process.execPath, path.dirname(process.execPath));
  if (!module.exports.default) throw new Error(`${CONVOY_DAEMON_PART} exported nothing`);
  loaded = module.exports.default;
  return loaded;
}

declare global {
  var __convoyDaemonPart: { load(): DaemonPart; lite: typeof lite } | undefined;
}
globalThis.__convoyDaemonPart = { load: daemonPart, lite };
