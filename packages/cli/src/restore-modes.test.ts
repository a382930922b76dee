import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';

/**
 * Least privilege on restore: a setuid-root program in a backup (which anyone who can write to
 * the store could have put there) comes back without its setuid bit, unless the daemon was
 * started with vfs.restoresetid=true; links pointing anywhere come back as they were.
 */
const dir = await tempDir('convoy-restore-modes-');
const daemon = await startTestDaemon(path.join(dir, 'host'));
afterAll(() => daemon.stop());
const cli = (socket: string, args: string[]) => convoy(['--socket', socket, ...args]);
const store = `vfs://${path.join(dir, 'store')}`;
await mkdir(path.join(dir, 'store'));

async function backupWithSetuidFile(): Promise<string> {
  expect((await cli(daemon.socketPath, ['create', 'app'])).code).toBe(0);
  const mountpoint = (await cli(daemon.socketPath, ['mount', 'app'])).stdout.trim();
  await writeFile(path.join(mountpoint, 'rootshell'), '#!/bin/sh\nexec /bin/sh\n');
  await chmod(path.join(mountpoint, 'rootshell'), 0o4755);
  expect((await cli(daemon.socketPath, ['snapshot', 'create', 'app', '--name', 'app-snap'])).code).toBe(0);
  const res = await cli(daemon.socketPath, ['backup', 'create', 'app-snap', '--dest', store]);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim();
}

const url = await backupWithSetuidFile();

async function restoredMode(socket: string, name: string): Promise<number> {
  const res = await cli(socket, ['create', name, '--backup', url]);
  expect(res.code, res.stderr).toBe(0);
  const mountpoint = (await cli(socket, ['mount', name])).stdout.trim();
  return (await stat(path.join(mountpoint, 'rootshell'))).mode & 0o7777;
}

describe('restoring setuid/setgid files', () => {
  it('clears the setuid bit by default', async () => {
    expect(await restoredMode(daemon.socketPath, 'app-restored')).toBe(0o755);
  });

  it('keeps it when the daemon was started with --driver-opts vfs.restoresetid=true', async () => {
    const trusting = await startTestDaemon(path.join(dir, 'trusting'), {
      driverOptions: { 'vfs.path': path.join(dir, 'trusting/volumes'), 'vfs.restoresetid': 'true' },
    });
    try {
      expect(await restoredMode(trusting.socketPath, 'app-trusted')).toBe(0o4755);
    } finally {
      await trusting.stop();
    }
  });
});
