import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConvoyClient } from '@convoy/plugin-server/client';
import { bundleForNode } from '@convoy/test-support/bundle';
import { describeNeeding } from '@convoy/test-support/gate';
import { ptyAvailable, spawnInPty } from '@convoy/test-support/pty';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { bundleDaemon, type DaemonProcess, startDaemonProcess } from '../test/daemon-process.js';

/**
 * The CLI as a person at a terminal uses it: a real process in a real terminal (a pty), against
 * the daemon as a real process.
 * - Ctrl-C: the first one cancels the daemon's backup or restore and the CLI exits 130 saying
 *   so; afterwards the store, the daemon's state and its volumes are exactly as before
 *   (fingerprinted), and the volume's lock is free (the same backup runs to the end). A raw
 *   socket client that closes its connection cancels the same way.
 * - Progress: a vfs backup and its restore show a percentage and an ETA and end with a summary
 *   line; verify, prune and forget show the time spent and a summary; piped, only the result.
 */
const dir = await tempDir('convoy-terminal-');
await bundleDaemon();
const cliBundle = await bundleForNode(path.resolve(import.meta.dirname, 'index.ts'));
const socket = path.join(dir, 'convoy.sock');
const storeDir = path.join(dir, 'store');
const store = `vfs://${storeDir}`;
const cli = (args: string[]) => convoy(['--socket', socket, ...args]);
const inTerminal = (args: string[]) => spawnInPty([process.execPath, cliBundle, '--socket', socket, ...args]);

/**
 * Runs `args` in a terminal and presses Ctrl-C once its progress bar shows, while the daemon is
 * paused (SIGSTOP) so that however fast this machine is the operation is still running when the
 * interrupt lands; resumes the daemon once the CLI said `said`.
 */
async function interruptedInTerminal(args: string[], said: RegExp): Promise<{ code: number; output: string }> {
  const session = inTerminal(args);
  await session.waitFor(/(backup|restore) \[/);
  daemon.child.kill('SIGSTOP');
  try {
    session.type('\x03');
    await session.waitFor(said);
  } finally {
    daemon.child.kill('SIGCONT');
  }
  return { code: await session.exited, output: session.output() };
}

/** Every file under `root` (empty directories are no objects), sorted: what a cancelled operation must not change. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

async function fingerprint(): Promise<{ store: string[]; root: string[]; volumes: string[]; list: unknown }> {
  return {
    store: await tree(storeDir),
    root: await tree(path.join(dir, 'root')),
    volumes: await tree(path.join(dir, 'volumes')),
    list: (await cli(['list'])).json(),
  };
}

let daemon: DaemonProcess;

beforeAll(async () => {
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  await mkdir(storeDir);
  daemon = await startDaemonProcess(testDaemonConfig(dir));
  expect((await cli(['create', 'db'])).code).toBe(0);
  const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
  // Random data: the archive cannot shrink, so a backup runs long enough to be interrupted.
  await writeFile(path.join(mountpoint, 'table.bin'), randomBytes(160 * 1024 * 1024));
  expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
});
afterAll(() => daemon?.stop());

describeNeeding(ptyAvailable, 'Ctrl-C and lost clients cancel the daemon operation', () => {
  it('backup and restore: the first Ctrl-C cancels, says so and exits 130; nothing is left', async () => {
    const before = await fingerprint();
    const backup = await interruptedInTerminal(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none'], /cancelling createBackup/);
    expect(backup.code, backup.output).toBe(130);
    expect(backup.output).toMatch(/cancelled; the daemon stopped the operation and kept nothing of it/);
    expect(await fingerprint()).toEqual(before);
    expect(daemon.alive(), daemon.stderr()).toBe(true);

    // The volume's backup lock was released: the same backup runs to the end.
    const rerun = await cli(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const url = rerun.stdout.trim().replace('\\u0026', '&');

    const beforeRestore = await fingerprint();
    const restore = await interruptedInTerminal(['create', 'restored', '--backup', url], /cancelling createVolume/);
    expect(restore.code, restore.output).toBe(130);
    expect(restore.output).toMatch(/cancelled; the daemon stopped the operation and kept nothing of it/);
    expect(await fingerprint()).toEqual(beforeRestore);
    expect(daemon.alive(), daemon.stderr()).toBe(true);
  });

  it('a second Ctrl-C leaves at once, naming what the daemon still cancels', async () => {
    const before = await fingerprint();
    const session = inTerminal(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
    await session.waitFor(/backup \[/);
    // Paused, the daemon cannot answer how the cancel ended: only the second Ctrl-C ends the wait.
    daemon.child.kill('SIGSTOP');
    try {
      session.type('\x03');
      await session.waitFor(/cancelling createBackup/);
      session.type('\x03');
      expect(await session.exited, session.output()).toBe(130);
    } finally {
      daemon.child.kill('SIGCONT');
    }
    const leaving = /leaving now; the daemon still cancels createBackup \(operation ([0-9a-f-]{36})\)/.exec(session.output());
    expect(leaving, session.output()).not.toBeNull();
    const outcome = await new ConvoyClient(socket).call('operationOutcome', { id: (leaving as RegExpExecArray)[1] as string });
    expect(outcome.state).toBe('cancelled');
    expect(await fingerprint()).toEqual(before);
  });

  it('--detach: Ctrl-C leaves at once, names what still runs, and the daemon finishes the backup', async () => {
    const backup = await interruptedInTerminal(['--detach', 'backup', 'create', 'db-snap', '--dest', store, '--compression', 'none'], /leaving now/);
    expect(backup.code, backup.output).toBe(130);
    const leaving = /leaving now; the daemon still runs createBackup \(operation ([0-9a-f-]{36})\)/.exec(backup.output);
    expect(leaving, backup.output).not.toBeNull();
    const outcome = await new ConvoyClient(socket).call('operationOutcome', { id: (leaving as RegExpExecArray)[1] as string });
    expect(outcome.state).toBe('finished');
  });

  it('a raw HTTP client that closes its connection mid-backup cancels it; the daemon says so when asked', async () => {
    await mkdir(`${storeDir}-raw`);
    const body = JSON.stringify({ SnapshotName: 'db-snap', URL: `${store}-raw` });
    const id = 'raw-client-operation';
    const conn = net.connect(socket);
    conn.write(
      `POST /v1/backups/create HTTP/1.1\r\nHost: convoy\r\nAccept: application/x-ndjson\r\nx-convoy-operation: ${id}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // The first progress line: the backup is under way.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      conn.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('"progress"')) resolve();
        else if (seen.includes('"error"') || seen.includes('"result"')) reject(new Error(`the backup ended before it could be cancelled: ${seen}`));
      });
    });
    daemon.child.kill('SIGSTOP');
    conn.destroy();
    daemon.child.kill('SIGCONT');
    expect(daemon.alive(), daemon.stderr()).toBe(true);
    const outcome = await new ConvoyClient(socket).call('operationOutcome', { id });
    expect(outcome).toMatchObject({ id, state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await tree(`${storeDir}-raw`)).toEqual([]);
    expect(daemon.alive()).toBe(true);
  });
});

describe('convoy daemon and Ctrl-C', () => {
  it('SIGINT stops the daemon through its own handling; no call is being cancelled', async () => {
    // In its own process, as users run it (the built bin): the daemon ends its process itself once stopped.
    const bin = path.resolve(import.meta.dirname, '../dist/index.js');
    const own = path.join(dir, 'own-daemon');
    await mkdir(path.join(own, 'volumes'), { recursive: true });
    const ownSocket = path.join(own, 'convoy.sock');
    const child = spawn(
      process.execPath,
      [
        bin,
        'daemon',
        '--root',
        path.join(own, 'root'),
        '--socket',
        ownSocket,
        '--docker-plugin-dir',
        path.join(own, 'plugins'),
        '--drivers',
        'vfs',
        '--driver-opts',
        `vfs.path=${path.join(own, 'volumes')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    await until('the daemon to serve', async () => ((await convoy(['--socket', ownSocket, 'info'])).code === 0 ? true : undefined));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toMatch(/cancelling/);
  });
});
