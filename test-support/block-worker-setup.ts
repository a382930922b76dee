import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BLOCK_WORKER_ENTRY, buildModule } from './build-module.js';

/**
 * Vitest global setup: tests run the engine from TypeScript sources, where no built
 * `block-worker.js` sits beside it, so this bundles src/block-worker.ts once per run and points
 * CONVOY_BLOCK_WORKER at it (the test processes inherit the variable).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dir = path.join(path.dirname(BLOCK_WORKER_ENTRY), '..', '.tmp', `block-worker-${process.pid}`);
  const script = path.join(dir, 'block-worker.js');
  await buildModule(BLOCK_WORKER_ENTRY, script);
  process.env['CONVOY_BLOCK_WORKER'] = script;
  return () => rm(dir, { recursive: true, force: true });
}
