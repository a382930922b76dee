import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';

/**
 * Once a volume or a store is encrypted it stays encrypted: someone who can write the bucket
 * removes the markers (EncryptionKeyId from volume.cfg, volume.cfg itself, encryption.cfg), and
 * the next plain `backup create` (what a schedule runs) is refused with an error naming the
 * problem, and uploads nothing, instead of sending the volume's data in the clear.
 */
const dir = await tempDir('convoy-downgrade-');
let daemon: RunningDaemon;
const cli = (args: string[]) => convoy(['--socket', daemon.socketPath, ...args]);
const SECRET = Buffer.from('SECRET-ROW '.repeat(500));
const encryptionKey = { kind: 'key-file' as const, secret: randomBytes(32) };

/** Every file of a vfs store but lock objects (taken and released by each operation). */
async function storeFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.includes('/locks/'))
    .sort();
}

async function fileOf(root: string, suffix: string): Promise<string> {
  const file = (await readdir(root, { recursive: true })).find((f) => f.replace(/!/g, '').endsWith(suffix));
  expect(file, `no ${suffix} in ${root}`).toBeDefined();
  return path.join(root, file!);
}

async function snapshot(volume: string, name: string): Promise<void> {
  const mountpoint = (await cli(['mount', volume])).stdout.trim();
  await writeFile(path.join(mountpoint, `${name}.bin`), Buffer.concat([SECRET, randomBytes(4096)]));
  expect((await cli(['snapshot', 'create', volume, '--name', name])).code).toBe(0);
}

/** A plain backup must be refused as tampering, naming the volume, and leave the store as it was. */
async function expectRefused(root: string, snap: string, volume: string, evidence: RegExp): Promise<void> {
  const before = await storeFiles(root);
  const res = await cli(['backup', 'create', snap, '--dest', `vfs://${root}`, '--json']);
  expect(res.code, res.stdout).toBe(1);
  const { error } = res.json<{ error: { code: string; message: string } }>();
  expect(error.code).toBe('CORRUPT');
  expect(error.message).toContain(`volume ${volume} unencrypted`);
  expect(error.message).toMatch(evidence);
  expect(await storeFiles(root)).toEqual(before);
  for (const file of await storeFiles(root)) expect((await readFile(path.join(root, file))).includes('SECRET-ROW'), file).toBe(false);
}

beforeAll(async () => {
  daemon = await startTestDaemon(path.join(dir, 'daemon'), { encryptionKey });
  for (const volume of ['db1', 'db2', 'db3']) {
    await cli(['create', volume]);
    await snapshot(volume, `${volume}-s1`);
  }
});
afterAll(() => daemon.stop());

describe('an encrypted volume or store cannot be downgraded by editing the bucket', () => {
  it('refuses a clear backup of a volume whose EncryptionKeyId, or whose volume.cfg, was removed', async () => {
    const root = path.join(dir, 'store-volume');
    await mkdir(root);
    expect((await cli(['backup', 'create', 'db1-s1', '--dest', `vfs://${root}`, '--encrypt'])).code).toBe(0);
    await snapshot('db1', 'db1-s2');
    const cfgFile = await fileOf(root, 'db1/volume.cfg');
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8')) as Record<string, unknown>;
    expect(cfg['EncryptionKeyId']).toMatch(/^[0-9a-f]{16}$/);
    const { EncryptionKeyId: _id, ...stripped } = cfg;
    await writeFile(cfgFile, JSON.stringify(stripped));
    await expectRefused(root, 'db1-s2', 'db1', /is encrypted, but its .*volume\.cfg has no EncryptionKeyId/);
    // A restarted daemon refuses as well (the records, and what it keeps under its root, are the witnesses).
    await daemon.stop();
    daemon = await startTestDaemon(path.join(dir, 'daemon'), { encryptionKey });
    await expectRefused(root, 'db1-s2', 'db1', /encrypted, but its .*volume\.cfg has no EncryptionKeyId/);

    await rm(cfgFile);
    await expectRefused(root, 'db1-s2', 'db1', /encrypted, but it has no .*volume\.cfg/);
  });

  it('refuses a clear first backup to a store initialised encrypted whose encryption.cfg was removed', async () => {
    const root = path.join(dir, 'store-init');
    await mkdir(root);
    expect((await cli(['backup', 'init', `vfs://${root}`, '--encrypt'])).code).toBe(0);
    expect((await cli(['backup', 'create', 'db2-s1', '--dest', `vfs://${root}`])).code).toBe(0);
    await rm(path.join(root, 'convoy-objectstore/encryption.cfg'));
    await expectRefused(root, 'db3-s1', 'db3', /encrypts every new volume .* but that record is gone/);
    // The daemon keeps what it saw under its root: a restart does not forget it.
    await daemon.stop();
    daemon = await startTestDaemon(path.join(dir, 'daemon'), { encryptionKey });
    await expectRefused(root, 'db3-s1', 'db3', /encrypts every new volume .* but that record is gone/);
    // Initialised again, the store takes the new volume, encrypted.
    expect((await cli(['backup', 'init', `vfs://${root}`, '--encrypt'])).code).toBe(0);
    expect((await cli(['backup', 'create', 'db3-s1', '--dest', `vfs://${root}`])).code).toBe(0);
    const cfg = JSON.parse(await readFile(await fileOf(root, 'db3/volume.cfg'), 'utf8')) as Record<string, unknown>;
    expect(cfg['EncryptionKeyId']).toMatch(/^[0-9a-f]{16}$/);
  });
});
