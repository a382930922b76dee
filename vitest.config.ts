import { defineConfig } from 'vitest/config';
import path from 'node:path';

const src = (p: string) => path.resolve(import.meta.dirname, p);

/** Tests import workspace packages from source, so no build is needed to run unit tests. */
export const alias = {
  '@convoy/core/testing': src('packages/core/src/testing/index.ts'),
  '@convoy/core': src('packages/core/src/index.ts'),
  '@convoy/driver-vfs': src('packages/driver-vfs/src/index.ts'),
  '@convoy/driver-devmapper': src('packages/driver-devmapper/src/index.ts'),
  '@convoy/objectstore-fs': src('packages/objectstore-fs/src/index.ts'),
  '@convoy/objectstore-s3': src('packages/objectstore-s3/src/index.ts'),
  '@convoy/plugin-server/client': src('packages/plugin-server/src/client.ts'),
  '@convoy/plugin-server': src('packages/plugin-server/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: ['test-support/block-worker-setup.ts'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'test-support/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/*.dm.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'test-e2e/**/*.e2e.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
