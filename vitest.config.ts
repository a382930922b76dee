import { defineConfig } from 'vitest/config';
import { blockWorkerSetup, sourceResolution, unitTests } from './vitest.shared.js';

export default defineConfig({
  ...sourceResolution,
  test: {
    projects: [
      {
        ...sourceResolution,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'examples/*/src/**/*.test.ts',
            'integration/src/**/*.test.ts',
            'release/src/**/*.test.ts',
            'test-support/**/*.test.ts',
          ],
          ...unitTests,
        },
      },
      {
        ...sourceResolution,
        test: {
          name: 'e2e',
          globalSetup: [blockWorkerSetup],
          include: ['packages/*/src/**/*.e2e.test.ts', 'integration/src/**/*.e2e.test.ts', 'release/src/**/*.e2e.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
