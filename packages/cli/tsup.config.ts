import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'tsup';
import { yargsPatches } from './src/bundle/yargs-patches.mjs';

/**
 * The client commands load one file of their own: yargs and the HTTP client are bundled in, so
 * `convoy list` starts close to `node -e 0`. `convoy daemon` imports its chunk on demand, and
 * that chunk loads @convoy/core, the server and the drivers from their packages.
 *
 * `@convoy/core/lite` stays a package import, never bundled: it holds ConvoyError, and the
 * daemon's chunk and every driver get theirs from @convoy/core's files. A bundled copy would be
 * a second class, and an error from the daemon would fail the client's `instanceof` and print
 * as INTERNAL (src/bundle/one-error-class.test.ts).
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // Less to parse at every start; the source map keeps stack traces readable.
  minify: true,
  noExternal: ['yargs', '@convoy/plugin-server/client'],
  // Work yargs does at every run that the CLI never uses (src/bundle/yargs-patches.mjs).
  esbuildPlugins: [yargsPatches()],
  // The version, so that no start reads package.json (src/version.ts).
  define: {
    CONVOY_RELEASE_VERSION: JSON.stringify((JSON.parse(readFileSync(path.join(import.meta.dirname, 'package.json'), 'utf8')) as { version: string }).version),
  },
  esbuildOptions(options) {
    // yargs and cliui measure help text with string-width, which builds Intl.Segmenters as it
    // loads: the bundle counts cells itself instead (src/bundle/string-width.ts says why).
    options.alias = { ...options.alias, 'string-width': path.resolve(import.meta.dirname, 'src/bundle/string-width.ts') };
  },
});
