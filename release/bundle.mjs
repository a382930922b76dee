// @ts-check
/**
 * Bundles the release executable's code with esbuild: the CLI (client, daemon, drivers,
 * stores) as one CommonJS file, which is what a Node 20 single-executable application runs, and
 * beside it the files Node only loads from disk (the worker scripts, the native addons, the CSI
 * proto), which the executable carries as assets (packages/cli/src/release/release-files.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { yargsPatches } from '../packages/cli/src/bundle/yargs-patches.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliSrc = path.join(repo, 'packages/cli/src');
const RELEASE_FILES = path.join(cliSrc, 'release/release-files.ts');
/** The list of carried files, itself an asset; the code reads its name as CONVOY_RELEASE_MANIFEST. */
const MANIFEST = 'release-files.json';
/** The daemon's code, an asset the code reads as CONVOY_DAEMON_PART (daemon-part.ts). */
const DAEMON_PART = 'daemon-part.cjs';

/**
 * Writes convoy.cjs and the carried files into `outDir`; returns the carried files' names.
 * @param {string} outDir
 * @param {string} version
 * @returns {Promise<string[]>}
 */
export async function bundleReleaseCode(outDir, version) {
  mkdirSync(outDir, { recursive: true });
  /** @type {Map<string, string>} carried name -> source file */
  const carried = new Map();
  const common = {
    bundle: true,
    platform: /** @type {const} */ ('node'),
    format: /** @type {const} */ ('cjs'),
    target: 'node20',
    minify: true,
    // The bundled packages' license notices stay in the code the executable carries.
    legalComments: /** @type {const} */ ('eof'),
    logLevel: /** @type {const} */ ('error'),
    // Workspace packages from their TypeScript sources, as the tests see them.
    conditions: ['@convoy/source'],
    define: {
      CONVOY_RELEASE_VERSION: JSON.stringify(version),
      CONVOY_RELEASE_MANIFEST: JSON.stringify(MANIFEST),
      'import.meta.url': 'globalThis.__convoyRelease.url',
      'import.meta.dirname': 'globalThis.__convoyRelease.dirname',
    },
    // As in the CLI's own bundle (packages/cli/tsup.config.ts): help cells counted without
    // string-width, whose Intl.Segmenters would also hold handles a startup snapshot cannot keep.
    alias: { 'string-width': path.join(cliSrc, 'bundle/string-width.ts') },
    plugins: [nativeAddons(carried), piscinaWorkerPath(), bundledPackages(), yargsPatches(), argumentParserAtFixedPath()],
  };
  // The client's code, run once at build time into a V8 startup snapshot (build-release.mjs), and
  // the part it defers with import() (the daemon), compiled from an asset when first used
  // (packages/cli/src/release/daemon-part.ts).
  /** @type {Map<string, string>} deferred module's path -> its key in the daemon part */
  const deferred = new Map();
  await esbuild.build({
    ...common,
    define: { ...common.define, CONVOY_DAEMON_PART: JSON.stringify(DAEMON_PART) },
    plugins: [...common.plugins, lazyBuiltins(), deferToDaemonPart(deferred)],
    entryPoints: [path.join(cliSrc, 'release/sea-main.ts')],
    outfile: path.join(outDir, 'convoy.cjs'),
  });
  const keys = [...deferred];
  await esbuild.build({
    ...common,
    plugins: [...common.plugins, clientErrors()],
    stdin: {
      contents: [
        ...keys.map(([file, key]) => `import * as ${key} from ${JSON.stringify(file)};`),
        `export default { ${keys.map(([, key]) => key).join(', ')} };`,
      ].join('\n'),
      resolveDir: repo,
      loader: 'ts',
    },
    outfile: path.join(outDir, DAEMON_PART),
  });
  // The engine's block worker, where the engine looks for it (beside its code: block-workers.ts).
  await esbuild.build({
    ...common,
    stdin: {
      contents: `import ${JSON.stringify(RELEASE_FILES)}; export { default } from ${JSON.stringify(path.join(repo, 'packages/backup-store/src/block-worker.ts'))};`,
      resolveDir: repo,
      loader: 'ts',
    },
    outfile: path.join(outDir, 'block-worker.js'),
  });
  carried.set('block-worker.js', path.join(outDir, 'block-worker.js'));
  // piscina's own worker script, which starts the block worker in each thread; its optional
  // `@napi-rs/nice` (thread priorities) stays out, and piscina carries on without it.
  const requireFromEngine = createRequire(path.join(repo, 'packages/backup-store/package.json'));
  await esbuild.build({
    ...common,
    entryPoints: [path.join(path.dirname(requireFromEngine.resolve('piscina')), 'worker.js')],
    external: ['@napi-rs/nice'],
    outfile: path.join(outDir, 'piscina-worker.js'),
  });
  carried.set('piscina-worker.js', path.join(outDir, 'piscina-worker.js'));
  carried.set('proto/csi.proto', path.join(repo, 'packages/csi-server/src/proto/csi.proto'));
  for (const [name, source] of carried) {
    const target = path.join(outDir, name);
    if (target === source) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  writeFileSync(path.join(outDir, MANIFEST), JSON.stringify([...carried.keys()]));
  return [...carried.keys(), MANIFEST, DAEMON_PART];
}

/**
 * Every `import()` in the client's code becomes a lookup in the daemon part; the map collects
 * the deferred modules for that bundle.
 * @param {Map<string, string>} deferred
 * @returns {esbuild.Plugin}
 */
function deferToDaemonPart(deferred) {
  return {
    name: 'defer-to-daemon-part',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.deferring) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { deferring: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (!deferred.has(resolved.path)) deferred.set(resolved.path, `part${deferred.size}`);
        return { path: resolved.path, namespace: 'daemon-part' };
      });
      build.onLoad({ filter: /.*/, namespace: 'daemon-part' }, (args) => ({
        contents: `module.exports = globalThis.__convoyDaemonPart.load()[${JSON.stringify(deferred.get(args.path))}];`,
        loader: 'js',
      }));
    },
  };
}

/**
 * The daemon part's `@convoy/core` errors are the client's (daemon-part.ts says why).
 * @returns {esbuild.Plugin}
 */
function clientErrors() {
  const errors = path.join(repo, 'packages/core/src/errors.ts');
  return {
    name: 'client-errors',
    setup(build) {
      build.onLoad({ filter: /[/\\]errors\.ts$/ }, (args) => {
        if (args.path !== errors) return undefined;
        // The file's values (its types need nothing at run time), taken from the client's copy.
        const names = [...readFileSync(errors, 'utf8').matchAll(/^export (?:class|function|const) (\w+)/gm)].map((m) => m[1]);
        if (!names.includes('ConvoyError')) throw new Error(`${errors} no longer exports ConvoyError: update release/bundle.mjs`);
        return {
          contents: `const client = globalThis.__convoyDaemonPart.lite;\n${names.map((name) => `export const ${name} = client.${name};`).join('\n')}`,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * A native addon (`*.node`) becomes a module that loads the carried copy through
 * release-files.ts; the file itself is carried.
 * @param {Map<string, string>} carried
 * @returns {esbuild.Plugin}
 */
function nativeAddons(carried) {
  return {
    name: 'native-addons',
    setup(build) {
      // A loader's guess at an addon beside itself (`require('./x.linux-x64-gnu.node')`, which
      // napi-rs tries first) fails as a missing module, as it does from node_modules, and never
      // reaches the executable's require, which only loads Node's own modules.
      build.onResolve({ filter: /^\.\.?\/.*\.node$/ }, (args) =>
        existsSync(path.join(args.resolveDir, args.path)) ? undefined : { path: args.path, namespace: 'missing-addon' },
      );
      build.onLoad({ filter: /.*/, namespace: 'missing-addon' }, (args) => ({
        contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
        loader: 'js',
      }));
      build.onLoad({ filter: /\.node$/ }, (args) => {
        const name = path.basename(args.path);
        carried.set(name, args.path);
        return { contents: `module.exports = globalThis.__convoyRelease.addon(${JSON.stringify(name)});`, loader: 'js' };
      });
    },
  };
}

/**
 * Node 20 cannot put some of its own modules into a startup snapshot (`node:http`'s parser
 * binding aborts the build), and code loaded into the snapshot loads its imports as it is
 * evaluated. Those modules become stand-ins whose exports load the real module on first use,
 * at run time, through `process.getBuiltinModule`.
 * @returns {esbuild.Plugin}
 */
function lazyBuiltins() {
  // The stand-ins and this build both need it; Node added it in 20.16.
  if (typeof process.getBuiltinModule !== 'function')
    throw new Error(`releases are built with Node 20.16 or later (process.getBuiltinModule), not ${process.version}`);
  const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const names = Object.keys(process.getBuiltinModule(`node:${args.path}`)).filter((name) => name !== 'default');
        const load = `() => process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)})`;
        return {
          contents: `const load = ${load};\nfor (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * The modules lazyBuiltins defers: what a Node 20 snapshot cannot hold (the HTTP family), and
 * those its snapshot builder warns it has not verified (`node:sea`, `node:vm`, `node:worker_threads`).
 */
const LAZY_BUILTINS = ['http', 'https', 'http2', 'sea', 'vm', 'worker_threads'];

/**
 * piscina starts its worker script from beside its own code (`__dirname`), which a bundle does
 * not have: point it at the carried copy. Fails the build if piscina changed that line.
 * @returns {esbuild.Plugin}
 */
function piscinaWorkerPath() {
  const line = "(0, node_path_1.resolve)(__dirname, 'worker.js')";
  return {
    name: 'piscina-worker-path',
    setup(build) {
      build.onLoad({ filter: /[/\\]piscina[/\\]dist[/\\]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(line)) throw new Error(`piscina's ${args.path} no longer holds ${line}: update release/bundle.mjs`);
        return { contents: source.replace(line, "globalThis.__convoyRelease.file('piscina-worker.js')"), loader: 'js' };
      });
    },
  };
}

/**
 * yargs 18 and yargs-parser, as ES modules, read `import.meta.url` when they load (for their
 * package root, a `require` and yargs' locale files), which in the executable would unpack the
 * release files for every client command, and cannot run at all while the startup snapshot is
 * built. They get a fixed path under /convoy instead: yargs' version guess is gone (yargsPatches), and
 * y18n finds no locale file there, so yargs keeps its built-in English.
 * @returns {esbuild.Plugin}
 */
function argumentParserAtFixedPath() {
  const inParser = /[/\\]node_modules[/\\](yargs|yargs-parser)[/\\](.+\.m?js)$/;
  return {
    name: 'argument-parser-at-fixed-path',
    setup(build) {
      build.onLoad({ filter: inParser }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const [, pkg, file] = inParser.exec(args.path) ?? [];
        const fixed = JSON.stringify(`file:///convoy/node_modules/${pkg}/${file?.replaceAll('\\', '/')}`);
        return { contents: source.replaceAll('import.meta.url', fixed), loader: 'js' };
      });
    },
  };
}

/**
 * The daemon's package importer (daemon/import-package.ts) becomes release/bundled-packages.ts:
 * there is no node_modules to import drivers and stores from.
 * @returns {esbuild.Plugin}
 */
function bundledPackages() {
  const original = path.join(cliSrc, 'daemon/import-package.ts');
  return {
    name: 'bundled-packages',
    setup(build) {
      build.onResolve({ filter: /[/\\]import-package\.js$/ }, (args) => {
        const resolved = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        return resolved === original ? { path: path.join(cliSrc, 'release/bundled-packages.ts') } : undefined;
      });
    },
  };
}
