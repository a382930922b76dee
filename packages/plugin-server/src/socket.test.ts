import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isConvoyError } from '@convoy/core';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { dockerCall } from '@convoy/test-support/unix-http';
import { describe, expect, it } from 'vitest';
import { startTestStack } from '../test/test-stack.js';

/** A socket file nobody listens on, as a daemon killed with SIGKILL leaves behind. */
async function staleSocket(file: string): Promise<void> {
  const server = net.createServer();
  const bound = `${file}.bind`;
  await new Promise<void>((resolve) => server.listen(bound, resolve));
  await fs.rename(bound, file);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const freshDir = await tempDirFactory('convoy-sock-');

describe('the unix socket and Docker discovery', () => {
  it('publishes a 0660 socket and a spec file, and removes both on shutdown', async () => {
    const dir = await freshDir();
    const stack = await startTestStack(dir);
    const stat = await fs.stat(stack.server.socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.uid).toBe(process.getuid?.());
    expect(stat.gid).toBe(process.getgid?.());
    expect(stack.server.specFile).toBe(path.join(dir, 'plugins', 'convoy-test.spec'));
    expect(await fs.readFile(stack.server.specFile as string, 'utf8')).toBe(`unix://${stack.server.socketPath}\n`);
    expect((await fs.stat(stack.server.specFile as string)).mode & 0o777).toBe(0o644);
    // Nothing but the socket is left in its directory: the private bind directory is gone.
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('.convoy-'))).toEqual([]);

    await stack.stop();
    await expect(fs.lstat(stack.server.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.lstat(stack.server.specFile as string)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(process.getuid?.() === 0)('gives the socket the --socket-group group', async () => {
    const dir = await freshDir();
    const stack = await startTestStack(dir, { socketGroup: '4242' });
    expect((await fs.stat(stack.server.socketPath)).gid).toBe(4242);
    await stack.stop();
  });

  it('refuses an unknown socket group before touching anything', async () => {
    const dir = await freshDir();
    await expect(startTestStack(dir, { socketGroup: 'no-such-group-here' })).rejects.toThrow(/unknown socket group "no-such-group-here"/);
    await expect(fs.lstat(path.join(dir, 'convoy.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces a stale socket left by a dead daemon', async () => {
    const dir = await freshDir();
    await staleSocket(path.join(dir, 'convoy.sock'));
    const stack = await startTestStack(dir);
    expect(await dockerCall(stack.server.socketPath, '/Plugin.Activate')).toEqual({ Implements: ['VolumeDriver'] });
    await stack.stop();
  });

  it('refuses a socket another daemon is listening on, and leaves it alone', async () => {
    const dir = await freshDir();
    const first = await startTestStack(dir);
    const err = await startTestStack(dir, { docker: { pluginDir: path.join(dir, 'plugins2'), pluginName: 'other' } }).catch((e: unknown) => e);
    expect(isConvoyError(err, 'BUSY')).toBe(true);
    expect((err as Error).message).toMatch(/another daemon is already listening/);
    expect(await dockerCall(first.server.socketPath, '/Plugin.Activate')).toEqual({ Implements: ['VolumeDriver'] });
    await first.stop();
  });

  it('never deletes a file that is not a socket', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'convoy.sock');
    await fs.writeFile(file, 'precious');
    await expect(startTestStack(dir)).rejects.toThrow(/exists and is not a socket/);
    expect(await fs.readFile(file, 'utf8')).toBe('precious');
  });

  it('refuses a socket path too long for a unix socket', async () => {
    const dir = await freshDir();
    await expect(startTestStack(dir, { socketPath: path.join(dir, 'x'.repeat(120), 'convoy.sock') })).rejects.toThrow(/too long for a unix socket/);
  });
});
