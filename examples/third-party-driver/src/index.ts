import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkDeclaredOptions, defineDriver, type OptionSpec, ownOptions } from '@convoy/core';
import { MemoDriver } from './memo-driver.js';

export { MemoDriver } from './memo-driver.js';

/**
 * The package's default export is all Convoy needs: `convoy daemon --drivers memo` finds it
 * once the package is installed as `convoy-driver-memo`, and
 * `convoy daemon --driver-module /path/to/dist/index.js --drivers memo` loads it from a path.
 */
const OPTIONS: OptionSpec[] = [{ key: 'memo.dir', description: 'Where volumes and snapshot archives live', default: '<daemon root>/memo' }];

export default defineDriver({
  name: 'memo',
  description: 'Example third-party driver: directory volumes whose snapshots are tar archives',
  options: OPTIONS,
  async create(ctx) {
    // Every --driver-opts pair reaches every driver: refuse a typo under memo.*, ignore the rest.
    checkDeclaredOptions(ownOptions(ctx.options, OPTIONS), OPTIONS, 'the memo driver');
    const root = path.resolve(ctx.options['memo.dir'] ?? ctx.root);
    await fs.mkdir(root, { recursive: true });
    return new MemoDriver(root, ctx.log);
  },
});
