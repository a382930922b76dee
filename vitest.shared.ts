import path from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Workspace packages resolve to their TypeScript sources through the `@convoy/source` export
 * condition, so tests need no build and no path aliases: a test reaches only the packages its
 * own package.json declares. The rest are Node's: vitest also hands these to the worker's
 * `node --conditions`, and `module` there would pick ESM builds Node cannot load (the AWS SDK's
 * dist-es).
 */
const conditions = ['@convoy/source', 'node', 'development|production'];
export const sourceResolution = { resolve: { conditions }, ssr: { resolve: { conditions } } } satisfies ViteUserConfig;

/**
 * Every test run's global setup: the engine's block worker bundled from source and named by
 * CONVOY_BLOCK_WORKER (test-support/block-worker-setup.ts). An absolute path, as package configs
 * run from their own directories.
 */
export const blockWorkerSetup = path.resolve(import.meta.dirname, 'test-support/block-worker-setup.ts');

/** Host tests: everything but end-to-end (dockerd) and device-mapper (guest) tests. */
export const unitTests = {
  globalSetup: [blockWorkerSetup],
  exclude: ['**/*.e2e.test.ts', '**/*.dm.test.ts', '**/node_modules/**'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

/** One package's own config: `cd packages/x && npx vitest run` runs its host tests from its directory. */
export function packageTestConfig() {
  return defineConfig({ ...sourceResolution, test: { include: ['src/**/*.test.ts'], ...unitTests } });
}
