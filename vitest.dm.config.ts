import { defineConfig } from 'vitest/config';
import { blockWorkerSetup, sourceResolution } from './vitest.shared.js';

/**
 * Device-mapper tests (`*.dm.test.ts`): they need a kernel with dm-thin and root, so
 * scripts/test-dm.sh runs them natively where `dmsetup version` works, else all of them in one
 * throw-away guest. The guest has one slow CPU: one worker, files one after another.
 */
export default defineConfig({
  ...sourceResolution,
  test: {
    name: 'dm',
    globalSetup: [blockWorkerSetup],
    include: ['packages/*/src/**/*.dm.test.ts', 'integration/src/**/*.dm.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
