import path from 'node:path';
import type { ConsistencyReport } from '@convoy/core';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

/**
 * `snapshot create --consistent` on a host without Docker: the snapshot is taken as before and
 * the answer says why no hook ran. The hooks themselves: consistent-snapshot.e2e.test.ts.
 */
const running: RunningDaemon[] = [];
afterAll(async () => {
  for (const daemon of running) await daemon.stop();
});

describe('snapshot create --consistent without Docker', () => {
  it('no Docker socket: the snapshot is taken, crash-consistent, and the answer names the socket it tried', async () => {
    const dir = await tempDir('convoy-consistent-');
    const dockerSocket = path.join(dir, 'no-docker.sock');
    const daemon = await startTestDaemon(dir, { hooks: { dockerSocket, timeoutMs: 30_000 } });
    running.push(daemon);
    const cli = (...args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
    expect((await cli('create', 'db')).code).toBe(0);
    const run = await cli('--json', 'snapshot', 'create', 'db', '--consistent', '--name', 'db-snap');
    expect(run.code).toBe(0);
    const consistency = run.json<{ Name: string; Consistency: ConsistencyReport }>().Consistency;
    expect(consistency).toMatchObject({ mode: 'crash-consistent', freeze: 'none', containers: [] });
    expect(consistency.notes[0]).toContain(`Docker is not reachable at ${dockerSocket}`);
    expect((await cli('--json', 'inspect', 'db')).json<{ Snapshots: Record<string, unknown> }>().Snapshots).toHaveProperty('db-snap');
    const table = await cli('--table', 'snapshot', 'create', 'db', '--consistent', '--name', 'db-snap2');
    expect(table.stdout).toMatch(/^db-snap2\ncrash-consistent; no freeze .*\nnote: Docker is not reachable at /);
    // Piped, the answer stays Go's bare name.
    expect((await cli('snapshot', 'create', 'db', '--consistent', '--name', 'db-snap3')).stdout).toBe('db-snap3\n');
  });

  it('a missing volume or a taken name is refused before any hook could run', async () => {
    const daemon = running[0] as RunningDaemon;
    const cli = (...args: string[]) => convoy(['--socket', daemon.socketPath, '--json', ...args]);
    expect((await cli('snapshot', 'create', 'nope', '--consistent')).json<{ error: { code: string } }>().error.code).toBe('NOT_FOUND');
    expect((await cli('snapshot', 'create', 'db', '--consistent', '--name', 'db-snap')).json<{ error: { code: string } }>().error.code).toBe('ALREADY_EXISTS');
  });

  it('a daemon started without hooks says so', async () => {
    const dir = await tempDir('convoy-consistent-');
    const daemon = await startTestDaemon(dir);
    running.push(daemon);
    const cli = (...args: string[]) => convoy(['--socket', daemon.socketPath, '--json', ...args]);
    expect((await cli('create', 'db')).code).toBe(0);
    expect((await cli('snapshot', 'create', 'db', '--consistent')).json<{ Consistency: ConsistencyReport }>().Consistency).toEqual({
      mode: 'crash-consistent',
      notes: ['this daemon runs no container hooks'],
      freeze: 'none',
      containers: [],
    });
  });
});
