import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
// esbuild is the repo's build tool already (it comes with tsup, a root dev dependency).
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild');

/**
 * Native addons cannot be bundled, and piscina starts its own worker file by path: they stay
 * imports of the copy the importing package uses, by absolute path to its ES module entry.
 */
const EXTERNAL = /^(lz4-napi|@mongodb-js\/zstd|piscina)$/;

const packagesExternal = {
  name: 'packages-external',
  setup(build) {
    build.onResolve({ filter: EXTERNAL }, (args) => ({ path: esmEntry(args.path, args.importer), external: true }));
  },
};

/** The file `import pkg` loads from `importer`: the package's "import" export, else what require finds. */
function esmEntry(pkg, importer) {
  const require = createRequire(importer);
  const main = require.resolve(pkg);
  let dir = path.dirname(main);
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  const { exports } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const entry = exports?.['.']?.import ?? exports?.import;
  return typeof entry === 'string' ? path.join(dir, entry) : main;
}

/**
 * Bundles a bench child entry (TypeScript) with the workspace packages taken from their
 * sources (their `@convoy/source` export, as the bench's package.json declares them), so the bench
 * measures the code as it is in the tree without depending on, or rewriting, anyone's dist/
 * folders. The engine's block worker is built beside it, where the engine looks for it
 * (packages/backup-store/src/backup/block-workers.ts).
 */
export async function bundleChild(entry, outFile) {
  await bundle(entry, outFile);
  await bundle(path.join(repoRoot, 'packages/backup-store/src/block-worker.ts'), path.join(path.dirname(outFile), 'block-worker.js'));
  return outFile;
}

async function bundle(entry, outFile) {
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
    plugins: [packagesExternal],
    // Bundled CommonJS dependencies (the AWS SDK) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
