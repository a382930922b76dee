import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDaemon, startDaemonProcess, type DaemonProcess } from '@convoy/test-support/daemon-process';
import { bundleForNode } from '@convoy/test-support/bundle';
import { spawnInPty } from '@convoy/test-support/pty';
import { tempDir } from '@convoy/test-support/tmp';
import { convoy, testDaemonConfig } from '@convoy/test-support/cli';

/**
 * Progress as a person at a terminal sees it (the CLI in a pty, the daemon a real process): a
 * vfs backup and its restore show a percentage and an ETA and end with a summary line; prune
 * and forget show the time spent and a summary; piped, the same commands print only their result.
 */
const dir = await tempDir('convoy-progress-');
await bundleDaemon();
const cliBundle = await bundleForNode(path.resolve(import.meta.dirname, 'index.ts'));
const socket = path.join(dir, 'convoy.sock');
const store = `vfs://${path.join(dir, 'store')}`;
const cli = (args: string[]) => convoy(['--socket', socket, ...args]);
const inTerminal = async (args: string[]) => {
  const session = spawnInPty([process.execPath, cliBundle, '--socket', socket, ...args]);
  const code = await session.exited;
  return { code, output: session.output() };
};

let daemon: DaemonProcess;
beforeAll(async () => {
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  await mkdir(path.join(dir, 'store'));
  daemon = await startDaemonProcess(testDaemonConfig(dir));
  expect((await cli(['create', 'db'])).code).toBe(0);
  const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
  await writeFile(path.join(mountpoint, 'table.bin'), randomBytes(48 * 1024 * 1024));
  expect((await cli(['snapshot', 'create', 'db', '--name', 'db-snap'])).code).toBe(0);
});
afterAll(() => daemon?.stop());

describe('progress on a terminal', () => {
  it('backup and restore of a vfs volume: percentage, ETA, and a closing summary; prune and forget: time spent and a summary', async () => {
    const backup = await inTerminal(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
    expect(backup.code, backup.output).toBe(0);
    expect(backup.output).toMatch(/backup \[[#.]{24}\] +\d+% [\d.]+ MiB\/48\.\d MiB .* ETA \d\d:\d\d/);
    // Uncompressed random data: the archive stores what the tar read.
    expect(backup.output).toMatch(/done: backup 48\.\d MiB in [\d.]+ m?s(, [\d.]+ [KMG]iB\/s)?; [\d.]+ m?s in all; stored 48\.\d MiB/);
    const url = /vfs:\/\/\S+/.exec(backup.output)?.[0] as string;

    const restore = await inTerminal(['create', 'restored', '--backup', url]);
    expect(restore.code, restore.output).toBe(0);
    expect(restore.output).toMatch(/restore \[[#.]{24}\] +\d+% .* ETA \d\d:\d\d/);
    expect(restore.output).toMatch(/done: restore 48\.\d MiB in /);

    // Archives are checked whole: the time spent shows until a volume's blocks report progress.
    const verify = await inTerminal(['backup', 'verify', store, '--deep']);
    expect(verify.code, verify.output).toBe(0);
    expect(verify.output).toMatch(/verify: working, /);
    expect(verify.output).toMatch(/done: verify in /);

    const prune = await inTerminal(['backup', 'prune', store]);
    expect(prune.code, prune.output).toBe(0);
    expect(prune.output).toMatch(/prune: working, /);
    expect(prune.output).toMatch(/done: prune in [\d.:]+ m?s?/);

    const forget = await inTerminal(['backup', 'forget', store, '--volume-name', 'db', '--keep-last', '1']);
    expect(forget.code, forget.output).toBe(0);
    expect(forget.output).toMatch(/done: forget in /);
  });

  it('piped, the same commands print their result only', async () => {
    const backup = await cli(['backup', 'create', 'db-snap', '--dest', store, '--compression', 'none']);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/^vfs:\/\/\S+\n$/);
    const prune = await cli(['backup', 'prune', store]);
    expect(prune.stderr).toBe('');
    expect(prune.stdout).not.toMatch(/working|done:/);
  });
});
