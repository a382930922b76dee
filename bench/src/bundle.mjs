import { createRequire } from 'node:module';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
// esbuild is the repo's build tool already (it comes with tsup, a root dev dependency).
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild');

/** Native addons cannot be bundled; they stay imports of the copy the importing package uses. */
const NATIVE = /^lz4-napi$/;

const nativeAddonsExternal = {
  name: 'native-addons-external',
  setup(build) {
    build.onResolve({ filter: NATIVE }, (args) => ({
      path: createRequire(args.importer).resolve(args.path),
      external: true,
    }));
  },
};

/**
 * Bundles a bench child entry (TypeScript) with the workspace packages taken from their
 * sources (their `@convoy/source` export, as the bench's package.json declares them), so the bench measures the code as it is in the tree
 * without depending on, or rewriting, anyone's dist/ folders.
 */
export async function bundleChild(entry, outFile) {
  await esbuild.build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    tsconfig: path.join(repoRoot, 'tsconfig.json'),
    conditions: ['@convoy/source'],
    plugins: [nativeAddonsExternal],
    // Bundled CommonJS dependencies (the AWS SDK) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outFile;
}
