import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Bundles a TypeScript entry (workspace packages from source, by their `@convoy/source` export) into one ES module that plain
 * `node` runs, for tests that need a separate process to kill: starting a bundle takes a
 * fraction of a second, where a TypeScript loader takes seconds. Only the native lz4-napi stays
 * outside; the bundle goes to packages/core/.tmp (ignored by git) so that it resolves from
 * there, and is removed after the test file.
 */
export async function bundleForNode(entry: string): Promise<string> {
  const require = createRequire(import.meta.url);
  // esbuild comes with tsup; nothing else depends on it, hence the narrow type.
  const esbuild = createRequire(await realpath(require.resolve('tsup/package.json')))('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
  const dir = path.join(root, 'packages/core/.tmp');
  await mkdir(dir, { recursive: true });
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}-${process.pid}-${randomBytes(3).toString('hex')}.mjs`);
  afterAll(() => rm(outfile, { force: true }));
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    conditions: ['@convoy/source'],
    external: ['lz4-napi'],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}
