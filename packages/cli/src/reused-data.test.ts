/*
 * A reference-only delete (`convoy delete -r`, and `docker volume rm`) keeps a volume's data;
 * creating a volume of the same name brings it back. That must never be silent: the CLI says so
 * on stderr (stdout stays Go's bare name), and the daemon log says so, which is all a `docker
 * volume create` leaves. Real daemon, vfs driver, its log in a file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createJsonLogger, type JsonLogger } from '@convoy/core';
import { tempDir } from '@convoy/test-support/tmp';
import { dockerCall } from '@convoy/test-support/unix-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

const dir = await tempDir('convoy-reused-');
const logFile = path.join(dir, 'daemon.log');

async function logLines(): Promise<Array<Record<string, unknown>>> {
  return (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('re-creating a volume whose data was kept', () => {
  let daemon: RunningDaemon;
  let log: JsonLogger;
  const cli = (args: string[], opts: { tty?: boolean } = {}) => convoy(['--socket', daemon.socketPath, ...args], opts);

  beforeAll(async () => {
    log = createJsonLogger({ level: 'info', file: logFile });
    daemon = await startTestDaemon(dir, { log });
  });
  afterAll(async () => {
    await daemon.stop();
    log.close();
  });

  it('convoy create says so on stderr and in the daemon log; stdout stays the bare name', async () => {
    expect((await cli(['create', 'kept1'])).stderr).toBe('');
    const mountpoint = (await cli(['mount', 'kept1'])).stdout.trim();
    await writeFile(path.join(mountpoint, 'rows.db'), 'old rows');
    expect((await cli(['umount', 'kept1'])).code).toBe(0);
    expect((await cli(['delete', '-r', 'kept1'])).code).toBe(0);

    const again = await cli(['create', 'kept1']);
    expect(again.stdout).toBe('kept1\n');
    expect(again.stderr).toBe(
      `convoy: kept1 reuses the data kept in ${mountpoint} (a reference-only delete such as \`docker volume rm\` keeps it); \`convoy delete kept1\` removes it for good\n`,
    );
    expect((await cli(['create', 'kept1-json', '--json'])).stderr).toBe('');
    expect(await logLines()).toContainEqual(
      expect.objectContaining({ level: 'warn', volume: 'kept1', path: mountpoint, msg: expect.stringContaining('reuses the data already in its directory') }),
    );

    // --json carries it in the record; a plain delete then starts the next one empty.
    expect((await cli(['delete', 'kept1'])).code).toBe(0);
    const fresh = await cli(['create', 'kept1', '--json']);
    expect(fresh.json<{ DriverInfo: Record<string, string> }>().DriverInfo.ReusedData).toBeUndefined();
    expect(fresh.stderr).toBe('');
  });

  it('docker volume rm then create under the same name: the daemon log says the data came back', async () => {
    const sock = daemon.socketPath;
    expect(await dockerCall(sock, '/VolumeDriver.Create', { Name: 'dock1', Opts: null })).toEqual({ Err: '' });
    const mountpoint = (await dockerCall(sock, '/VolumeDriver.Mount', { Name: 'dock1', ID: 'c'.repeat(64) })).Mountpoint as string;
    await writeFile(path.join(mountpoint, 'index.html'), 'kept');
    await dockerCall(sock, '/VolumeDriver.Unmount', { Name: 'dock1', ID: 'c'.repeat(64) });
    expect(await dockerCall(sock, '/VolumeDriver.Remove', { Name: 'dock1' })).toEqual({ Err: '' });
    expect((await logLines()).filter((l) => l.volume === 'dock1' && l.level === 'warn')).toEqual([]);

    expect(await dockerCall(sock, '/VolumeDriver.Create', { Name: 'dock1', Opts: null })).toEqual({ Err: '' });
    expect(await logLines()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        volume: 'dock1',
        path: mountpoint,
        hint: 'delete the volume (not by reference) to start empty: convoy delete dock1',
      }),
    );
  });
});
