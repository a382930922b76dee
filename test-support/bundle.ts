import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll } from 'vitest';
import { BLOCK_WORKER_ENTRY, buildModule } from './build-module.js';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Bundles a TypeScript entry (workspace packages from source) into one ES module that plain
 * `node` runs, for tests that need a separate process to kill: starting a bundle takes a
 * fraction of a second, where a TypeScript loader takes seconds. The native addons stay
 * outside; the bundle goes to its own directory under packages/core/.tmp (ignored by git) so
 * that it resolves from there, with the engine's block worker beside it, and is removed after
 * the test file.
 */
export async function bundleForNode(entry: string): Promise<string> {
  const dir = path.join(root, 'packages/core/.tmp', `${path.basename(entry, '.ts')}-${process.pid}-${randomBytes(3).toString('hex')}`);
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
  await buildModule(entry, outfile);
  await buildModule(BLOCK_WORKER_ENTRY, path.join(dir, 'block-worker.js'));
  return outfile;
}

