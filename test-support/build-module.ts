import { mkdir, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Native addons, and piscina (it starts its own worker file by path), stay imports. */
const EXTERNAL = ['lz4-napi', '@mongodb-js/zstd', 'piscina'];

/** The block worker's entry; the engine finds it built as `block-worker.js` beside its code. */
export const BLOCK_WORKER_ENTRY = path.join(root, 'packages/backup-store/src/block-worker.ts');

/** One ES module bundle of `entry` at `outfile`. */
export async function buildModule(entry: string, outfile: string): Promise<void> {
  const require = createRequire(import.meta.url);
  // esbuild comes with tsup; nothing else depends on it, hence the narrow type.
  const esbuild = createRequire(await realpath(require.resolve('tsup/package.json')))('esbuild') as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  await mkdir(path.dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    // Workspace packages from source, through their `@convoy/source` export (as the tests see them).
    conditions: ['@convoy/source'],
    external: EXTERNAL,
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
}
