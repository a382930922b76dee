import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll } from 'vitest';
import { BLOCK_WORKER_ENTRY, buildModule } from './build-module.js';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Bundles a TypeScript entry (workspace packages from source, by their `@convoy/source` export) into one ES module that plain
 * `node` runs, for tests that need a separate process to kill: starting a bundle takes a
 * fraction of a second, where a TypeScript loader takes seconds. The native addons stay
 * outside; the bundle goes to packages/backup-store/.tmp (ignored by git) so that it resolves from
 * there (and finds `../package.json`), and is removed after the test file. The engine's block
 * worker is built beside it as `block-worker.js`, where the engine looks for it: renamed into
 * place, so test files bundling at once never see a half-written one.
 */
export async function bundleForNode(entry: string): Promise<string> {
  const dir = path.join(root, 'packages/backup-store/.tmp');
  const unique = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}-${unique}.mjs`);
  afterAll(() => rm(outfile, { force: true }));
  await buildModule(entry, outfile);
  const worker = path.join(dir, `block-worker-${unique}.js`);
  await buildModule(BLOCK_WORKER_ENTRY, worker);
  await rename(worker, path.join(dir, 'block-worker.js'));
  return outfile;
}
