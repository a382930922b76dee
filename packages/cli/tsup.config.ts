import path from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The client commands load one file: yargs, the HTTP client and core's light parts are bundled
 * in, so `convoy list` starts close to `node -e 0`. `convoy daemon` imports its chunk on demand,
 * and that chunk loads @convoy/core, the server and the drivers from their packages.
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
  noExternal: ['yargs', '@convoy/plugin-server/client', '@convoy/core/lite'],
  esbuildOptions(options) {
    // yargs and cliui measure help text with string-width, which builds Intl.Segmenters as it
    // loads: the bundle counts cells itself instead (src/bundle/string-width.ts says why).
    options.alias = { ...options.alias, 'string-width': path.resolve(import.meta.dirname, 'src/bundle/string-width.ts') };
  },
});
