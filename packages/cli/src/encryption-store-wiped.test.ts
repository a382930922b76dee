import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyInfo } from '@convoy/backup-store';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

/**
 * A daemon keeps the master keys it opened, per store URL. When the store at that URL is wiped
 * and encrypted anew by another host, that cache must not outlive it: the daemon must never
 * write the old key's id into encryption.cfg, nor seal backups under a key the store has no
 * record of (after a restart nothing would open them).
 */
const dir = await tempDir('convoy-store-wiped-');
const storeDir = path.join(dir, 'store');
const store = `vfs://${storeDir}`;
const encryptionCfg = path.join(storeDir, 'convoy-objectstore/encryption.cfg');
let hostA: RunningDaemon;
let hostB: RunningDaemon;
let hostC: RunningDaemon;
const on = (daemon: RunningDaemon, args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
const masterKeyIdInCfg = async () => (JSON.parse(await readFile(encryptionCfg, 'utf8')) as { MasterKeyId: string }).MasterKeyId;
const storeKeys = async () => (await on(hostB, ['backup', 'key', 'list', store, '--json'])).json<KeyInfo[]>();

async function wipeStore(): Promise<void> {
  await rm(storeDir, { recursive: true, force: true });
  await mkdir(storeDir);
}

beforeAll(async () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  hostA = await startTestDaemon(path.join(dir, 'a'), { encryptionKey: { kind: 'key-file', secret: keyA } });
  hostB = await startTestDaemon(path.join(dir, 'b'), { encryptionKey: { kind: 'key-file', secret: keyB } });
  // Host C holds host A's key: the wiped store's new master key is one A's key opens too.
  hostC = await startTestDaemon(path.join(dir, 'c'), { encryptionKey: { kind: 'key-file', secret: keyA } });
  await on(hostA, ['create', 'db1']);
  await writeFile(path.join((await on(hostA, ['mount', 'db1'])).stdout.trim(), 'table.bin'), randomBytes(64 * 1024));
  await on(hostA, ['snapshot', 'create', 'db1', '--name', 'db1-s1']);
});
afterAll(async () => {
  await hostA.stop();
  await hostB.stop();
  await hostC.stop();
});

describe('a cached master key never outlives its store', () => {
  it('after a wipe and an init by a host with another key, init and backup refuse, and encryption.cfg keeps the new key', async () => {
    await mkdir(storeDir, { recursive: true });
    expect((await on(hostA, ['backup', 'init', store, '--encrypt'])).code).toBe(0);
    const oldMaster = await masterKeyIdInCfg();

    await wipeStore();
    expect((await on(hostB, ['backup', 'init', store, '--encrypt'])).code).toBe(0);
    const newMaster = await masterKeyIdInCfg();
    expect(newMaster).not.toBe(oldMaster);

    const init = await on(hostA, ['backup', 'init', store, '--encrypt', '--json']);
    expect(init.code, init.stdout).toBe(1);
    expect(init.json<{ error: { code: string } }>().error.code).toBe('KEY_REQUIRED');
    expect(await masterKeyIdInCfg()).toBe(newMaster);

    const backup = await on(hostA, ['backup', 'create', 'db1-s1', '--dest', store, '--json']);
    expect(backup.code, backup.stdout).toBe(1);
    expect(backup.json<{ error: { code: string } }>().error.code).toBe('KEY_REQUIRED');
    expect((await on(hostB, ['backup', 'list', store, '--json'])).json()).toEqual({});
  });

  it("after a wipe and an init by a host with the same key, uses the store's new master key, never the cached one", async () => {
    await wipeStore();
    expect((await on(hostA, ['backup', 'init', store, '--encrypt'])).code).toBe(0);
    const oldMaster = await masterKeyIdInCfg();
    await wipeStore();
    expect((await on(hostC, ['backup', 'init', store, '--encrypt'])).code).toBe(0);
    const newMaster = await masterKeyIdInCfg();
    expect(newMaster).not.toBe(oldMaster);

    expect((await on(hostA, ['backup', 'init', store, '--encrypt'])).code).toBe(0);
    expect(await masterKeyIdInCfg()).toBe(newMaster);
    const created = await on(hostA, ['backup', 'create', 'db1-s1', '--dest', store, '--table']);
    expect(created.code, created.stderr).toBe(0);
    // Sealed under a key the store has a record of: a fresh host holding the key restores it.
    expect(new Set((await storeKeys()).map((k) => k.masterKeyId))).toEqual(new Set([newMaster]));
    const restored = await on(hostC, ['create', 'restored', '--backup', created.stdout.trim()]);
    expect(restored.code, restored.stderr).toBe(0);
  });
});
