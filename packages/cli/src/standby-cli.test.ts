import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, describe, expect, it } from 'vitest';
import { convoy, startTestDaemon } from '../test/cli-harness.js';

/**
 * Standby volumes from the command line, across two daemons sharing a directory store (issue 21
 * item 1): create --standby on the second, what it refuses (with the way out), standby sync
 * labelled a full re-extract on vfs, inspect showing what it holds, a follow schedule, and
 * activation. The README's "Disaster recovery" transcript runs these commands.
 */
const dir = await tempDir('convoy-standby-cli-');
const source = await startTestDaemon(path.join(dir, 'source'));
const standby = await startTestDaemon(path.join(dir, 'standby'));
afterAll(async () => {
  await source.stop();
  await standby.stop();
});
const store = `vfs://${path.join(dir, 'store')}`;
await mkdir(path.join(dir, 'store'));
const on = (socket: string, args: string[]) => convoy(['--socket', socket, ...args]);

async function backupOnSource(content: string, snapshot: string): Promise<string> {
  const mountpoint = (await on(source.socketPath, ['mount', 'db'])).stdout.trim();
  await writeFile(path.join(mountpoint, 'data.txt'), content);
  expect((await on(source.socketPath, ['snapshot', 'create', 'db', '--name', snapshot])).code).toBe(0);
  const res = await on(source.socketPath, ['backup', 'create', snapshot, '--dest', store]);
  expect(res.code, res.stderr).toBe(0);
  // Piped, backup create prints Go's shell-escaped URL (\u0026 for &); the API answers plain ones.
  return res.stdout.trim().replace('\\u0026', '&');
}

describe('convoy standby', () => {
  it('creates a standby on a second daemon, refuses to mount it, syncs it (full re-extract on vfs), shows what it holds, and activates it', async () => {
    expect((await on(source.socketPath, ['create', 'db'])).code).toBe(0);
    const first = await backupOnSource('v1', 'db-1');
    const created = await on(standby.socketPath, ['create', 'db-dr', '--backup', first, '--standby']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('db-dr');

    const mount = await on(standby.socketPath, ['--json', 'mount', 'db-dr']);
    expect(mount.code).not.toBe(0);
    expect(JSON.parse(mount.stdout).error).toMatchObject({ code: 'STANDBY', message: expect.stringContaining('`convoy standby activate db-dr`') });
    const snap = await on(standby.socketPath, ['snapshot', 'create', 'db-dr']);
    expect(snap.code).not.toBe(0);
    expect(snap.stderr).toContain('cannot be snapshotted');

    const second = await backupOnSource('v2', 'db-2');
    const synced = await on(standby.socketPath, ['--table', 'standby', 'sync', 'db-dr', '--latest']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toMatch(/standby db-dr: backup-[0-9a-f]+ -> backup-[0-9a-f]+\n {2}full re-extract of the archive/);
    const inspect = JSON.parse((await on(standby.socketPath, ['inspect', 'db-dr'])).stdout);
    expect(inspect.Standby).toMatchObject({ backupUrl: second, sourceVolume: 'db', storeUrl: store, syncedAt: expect.any(String) });

    const back = JSON.parse((await on(standby.socketPath, ['--json', 'standby', 'sync', 'db-dr', '--backup', first])).stdout);
    expect(back).toMatchObject({ method: 'full re-extract', standby: { backupUrl: first } });
    const both = await on(standby.socketPath, ['standby', 'sync', 'db-dr', '--backup', first, '--latest']);
    expect(both.code).not.toBe(0);

    const activated = await on(standby.socketPath, ['--table', 'standby', 'activate', 'db-dr']);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout.trim()).toBe('db-dr is an ordinary volume now');
    const mountpoint = (await on(standby.socketPath, ['mount', 'db-dr'])).stdout.trim();
    expect(await readFile(path.join(mountpoint, 'data.txt'), 'utf8')).toBe('v1');
    expect(JSON.parse((await on(standby.socketPath, ['inspect', 'db-dr'])).stdout).Standby).toBeUndefined();
  });

  it('follows an encrypted store with the per-call key file on a daemon that has no key: created, synced bit-exact, a wrong key refused with the standby unchanged', async () => {
    const key = path.join(dir, 'right.key');
    const wrong = path.join(dir, 'wrong.key');
    const [keyBytes, wrongBytes] = [randomBytes(32), randomBytes(32)];
    await writeFile(key, keyBytes, { mode: 0o600 });
    await writeFile(wrong, wrongBytes, { mode: 0o600 });
    const secrets = [keyBytes, wrongBytes].flatMap((b) => [b.toString('base64'), b.toString('hex')]);
    const outputs: string[] = [];
    const run = async (socket: string, args: string[]) => {
      const res = await on(socket, args);
      outputs.push(res.stdout, res.stderr);
      return res;
    };
    const payloads = [randomBytes(256 * 1024), randomBytes(256 * 1024)];
    expect((await run(source.socketPath, ['create', 'sec'])).code).toBe(0);
    const mountpoint = (await run(source.socketPath, ['mount', 'sec'])).stdout.trim();
    const urls: string[] = [];
    for (const [i, payload] of payloads.entries()) {
      await writeFile(path.join(mountpoint, 'table.bin'), payload);
      expect((await run(source.socketPath, ['snapshot', 'create', 'sec', '--name', `sec-${i}`])).code).toBe(0);
      const made = await run(source.socketPath, ['--json', 'backup', 'create', `sec-${i}`, '--dest', store, '--encrypt', '--encryption-key-file', key]);
      expect(made.code, made.stderr).toBe(0);
      urls.push(JSON.parse(made.stdout).URL);
    }
    const [first, second] = urls as [string, string];

    const keyless = await run(standby.socketPath, ['--json', 'create', 'sec-dr', '--backup', first, '--standby']);
    expect(JSON.parse(keyless.stdout).error.code).toBe('KEY_REQUIRED');
    const created = await run(standby.socketPath, ['create', 'sec-dr', '--backup', first, '--standby', '--encryption-key-file', key]);
    expect(created.code, created.stderr).toBe(0);
    const dataOf = async () => readFile(path.join(JSON.parse((await run(standby.socketPath, ['inspect', 'sec-dr'])).stdout).DriverInfo.Path, 'table.bin'));
    expect((await dataOf()).equals(payloads[0]!)).toBe(true);

    const standbyBefore = JSON.parse((await run(standby.socketPath, ['inspect', 'sec-dr'])).stdout).Standby;
    for (const refusal of [['--latest'], ['--latest', '--encryption-key-file', wrong], ['--backup', second, '--encryption-key-file', wrong]]) {
      const res = await run(standby.socketPath, ['--json', 'standby', 'sync', 'sec-dr', ...refusal]);
      expect(res.code, res.stdout).not.toBe(0);
      expect(JSON.parse(res.stdout).error.code).toBe('KEY_REQUIRED');
    }
    expect(JSON.parse((await run(standby.socketPath, ['inspect', 'sec-dr'])).stdout).Standby).toEqual(standbyBefore);
    expect((await dataOf()).equals(payloads[0]!), 'the standby still holds the first backup').toBe(true);

    const synced = await run(standby.socketPath, ['--json', 'standby', 'sync', 'sec-dr', '--latest', '--encryption-key-file', key]);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ method: 'full re-extract', standby: { backupUrl: second } });
    expect((await dataOf()).equals(payloads[1]!)).toBe(true);
    for (const secret of secrets) expect(outputs.join('\n')).not.toContain(secret);
  });

  it('schedule create --standby --follow needs both, and takes no --volume', async () => {
    const res = await on(standby.socketPath, ['schedule', 'create', 'f', '--standby', 'x', '--every', '1h']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('--standby VOLUME with --follow STORE');
  });
});
