import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCommandRunner, DriverRegistry, silentLogger } from '@convoy/core';
import { driverComplianceSuite } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import memo from './index.js';

const run = createCommandRunner({ timeoutMs: 60_000 });

driverComplianceSuite({
  name: 'memo (third-party example)',
  capabilities: { snapshots: true, backup: 'single-file', userMountpoint: false, referenceOnly: 'deletes-data' },
  async setup() {
    const root = await mkdtemp(path.join(tmpdir(), 'convoy-memo-'));
    const driver = await memo.create({ root, options: {}, run, log: silentLogger });
    return { driver, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
});

describe('loading the package the way the daemon does', () => {
  it('is a driver definition the registry loads from a module path', async () => {
    const registry = new DriverRegistry((specifier) => import(specifier));
    const definition = await registry.load(pathToFileURL(path.join(import.meta.dirname, 'index.ts')).href);
    expect(definition.name).toBe('memo');
    expect(await registry.resolve('memo')).toBe(definition);
    const root = await mkdtemp(path.join(tmpdir(), 'convoy-memo-'));
    try {
      const driver = await definition.create({ root, options: {}, run, log: silentLogger });
      expect((await driver.info())['Root']).toBe(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
