import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** A fresh directory under the OS temp dir, removed after the test file finishes. */
export async function tempDir(prefix = 'convoy-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * For tests that each need a fresh directory: call this at module level (where `afterAll`
 * registers), then call the returned function inside tests; everything goes when the file ends.
 */
export async function tempDirFactory(prefix = 'convoy-test-'): Promise<() => Promise<string>> {
  const parent = await tempDir(prefix);
  return () => mkdtemp(path.join(parent, 'd-'));
}
