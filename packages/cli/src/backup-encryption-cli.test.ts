import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyInfo, VerifyReport } from '@convoy/backup-store';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convoy, type RunningDaemon, startTestDaemon } from '../test/cli-harness.js';
import { DAMAGE_EXIT } from './commands/backup/verify.js';

const dir = await tempDir('convoy-encryption-cli-');

/** All files under a directory store, recursively, as keys. */
async function storeFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

describe('convoy backup encryption, verify and keys against real daemons', () => {
  let plain: RunningDaemon;
  let keyed: RunningDaemon;
  const storeDir = path.join(dir, 'store');
  const store = `vfs://${storeDir}`;
  const keyFile = path.join(dir, 'first.key');
  const secondKeyFile = path.join(dir, 'second.key');
  const payload = Buffer.concat([Buffer.from('SECRET-TABLE-CONTENT '.repeat(1000)), randomBytes(1024 * 1024)]);
  const onPlain = (args: string[]) => convoy(['--socket', plain.socketPath, ...args]);
  const onKeyed = (args: string[]) => convoy(['--socket', keyed.socketPath, ...args]);

  beforeAll(async () => {
    await mkdir(storeDir, { recursive: true });
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    await writeFile(secondKeyFile, randomBytes(48), { mode: 0o600 });
    plain = await startTestDaemon(path.join(dir, 'plain'));
    // A second host whose daemon holds the key (as --encryption-key-file gives it).
    keyed = await startTestDaemon(path.join(dir, 'keyed'), { encryptionKey: { kind: 'key-file', secret: await readFile(keyFile) } });
    await onPlain(['create', 'db1']);
    const mountpoint = (await onPlain(['mount', 'db1'])).stdout.trim();
    await writeFile(path.join(mountpoint, 'table.bin'), payload);
    await onPlain(['snapshot', 'create', 'db1', '--name', 'db1-s1']);
  });
  afterAll(async () => {
    await plain.stop();
    await keyed.stop();
  });

  it('backs up encrypted with the CLI key, refuses without it, restores on a daemon holding it, and verifies', async () => {
    const created = await onPlain(['backup', 'create', 'db1-s1', '--dest', store, '--encrypt', '--encryption-key-file', keyFile, '--table']);
    expect(created.code, created.stderr).toBe(0);
    const url = created.stdout.trim();
    for (const file of await storeFiles(storeDir)) expect((await readFile(path.join(storeDir, file))).includes('SECRET-TABLE')).toBe(false);

    const refused = await onPlain(['backup', 'inspect', url, '--json']);
    expect(refused.code).toBe(1);
    const { error } = refused.json<{ error: { code: string; message: string; details: { keyId?: string } } }>();
    expect(error.code).toBe('KEY_REQUIRED');
    expect(error.message).toMatch(/encrypted with store key [0-9a-f]{16}/);
    expect((await onPlain(['create', 'no-key', '--backup', url])).code).toBe(1);
    expect((await onPlain(['inspect', 'no-key'])).code).toBe(1);

    expect((await onKeyed(['create', 'restored', '--backup', url])).code).toBe(0);
    const mountpoint = (await onKeyed(['mount', 'restored'])).stdout.trim();
    expect((await readFile(path.join(mountpoint, 'table.bin'))).equals(payload)).toBe(true);

    const healthy = await onKeyed(['backup', 'verify', store, '--deep', '--json']);
    expect(healthy.code).toBe(0);
    expect(healthy.json<VerifyReport>()).toMatchObject({ ok: true, volumes: 1, backups: 1, archivesRead: 1 });
    const one = await onPlain(['backup', 'verify', url, '--encryption-key-file', keyFile, '--table']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^OK: 1 volume\(s\), 1 backup\(s\)/m);
    // Without a key the volume cannot be checked: that is reported, never passed.
    const blind = await onPlain(['backup', 'verify', store, '--json']);
    expect(blind.code).toBe(DAMAGE_EXIT);
    expect(blind.json<VerifyReport>().problems[0]).toMatchObject({ kind: 'key-required', volumeName: 'db1' });
  });

  it('exits 3 naming a missing archive and the backup it damages', async () => {
    await mkdir(`${storeDir}-2`);
    const url = (await onPlain(['backup', 'create', 'db1-s1', '--dest', `${store}-2`, '--table'])).stdout.trim();
    const archive = (await storeFiles(`${storeDir}-2`)).find((f) => f.endsWith('.bak'))!;
    await rm(path.join(`${storeDir}-2`, archive));
    const damaged = await onPlain(['backup', 'verify', `${store}-2`, '--table']);
    expect(damaged.code).toBe(DAMAGE_EXIT);
    expect(damaged.stdout).toContain(`missing-archive: archive ${archive} is missing`);
    expect(damaged.stdout).toContain(`damaged backup: ${url}`);
    expect((await onPlain(['backup', 'verify', `${store}-2`, '--sample', '10%'])).code).toBe(1);
    expect((await onPlain(['backup', 'verify', `${store}-2`, '--deep', '--sample', '150%'])).code).toBe(1);
  });

  it('adds a key, removes the first, and refuses to remove the last', async () => {
    const keys = (await onPlain(['backup', 'key', 'list', store, '--json'])).json<KeyInfo[]>();
    expect(keys).toHaveLength(1);
    const added = await onPlain([
      'backup',
      'key',
      'add',
      store,
      '--new-key-file',
      secondKeyFile,
      '--label',
      'backup admin',
      '--encryption-key-file',
      keyFile,
      '--json',
    ]);
    expect(added.code, added.stdout).toBe(0);
    const second = added.json<KeyInfo>();
    expect(second).toMatchObject({ kind: 'key-file', label: 'backup admin', masterKeyId: keys[0]!.masterKeyId });
    expect((await onPlain(['backup', 'key', 'list', store, '--table'])).stdout).toMatch(/^ID\s+KIND\s+CREATED\s+STORE KEY\s+LABEL$/m);

    expect((await onPlain(['backup', 'key', 'remove', store, keys[0]!.id, '--encryption-key-file', secondKeyFile])).code).toBe(0);
    const url = Object.values(
      (await onPlain(['backup', 'list', store, '--encryption-key-file', secondKeyFile])).json<Record<string, { BackupURL: string }>>(),
    )[0]!.BackupURL;
    expect((await onPlain(['create', 'with-second', '--backup', url, '--encryption-key-file', secondKeyFile])).code).toBe(0);
    const last = await onPlain(['backup', 'key', 'remove', store, second.id, '--encryption-key-file', secondKeyFile]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('is the last key');
  });

  it('takes a passphrase from the environment, and init --encrypt makes every new volume encrypted', async () => {
    const initStore = `${store}-init`;
    await mkdir(`${storeDir}-init`);
    process.env.CONVOY_ENCRYPTION_PASSPHRASE = 'a long passphrase for tests';
    const init = await onPlain(['backup', 'init', initStore, '--encrypt', '--json']);
    expect(init.code, init.stdout).toBe(0);
    // Read once and removed, so nothing the process starts inherits it.
    expect(process.env.CONVOY_ENCRYPTION_PASSPHRASE).toBeUndefined();
    process.env.CONVOY_ENCRYPTION_PASSPHRASE = 'a long passphrase for tests';
    const url = (await onPlain(['backup', 'create', 'db1-s1', '--dest', initStore, '--table'])).stdout.trim();
    expect((await onPlain(['backup', 'inspect', url])).code).toBe(1);
    process.env.CONVOY_ENCRYPTION_PASSPHRASE = 'a long passphrase for tests';
    expect((await onPlain(['backup', 'inspect', url])).json()).toMatchObject({ VolumeName: 'db1', BackupMode: 'single-file' });
    expect((await onPlain(['backup', 'init', initStore])).code).toBe(2);
  });

  it('refuses to start a daemon with an unusable key file, before anything starts', async () => {
    const short = path.join(dir, 'short.key');
    await writeFile(short, 'too short');
    const root = path.join(dir, 'never-started');
    const weak = await convoy(['daemon', '--root', root, '--socket', path.join(dir, 'never.sock'), '--encryption-key-file', short]);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 32 random bytes');
    const missing = await convoy(['daemon', '--root', root, '--socket', path.join(dir, 'never.sock'), '--encryption-key-file', path.join(dir, 'nope.key')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the encryption key file');
    const prompt = await convoy(['daemon', '--root', root, '--socket', path.join(dir, 'never.sock'), '--encryption-key-prompt']);
    expect(prompt.code).toBe(1);
    expect(prompt.stderr).toContain('needs a terminal');
    expect(await readdir(dir)).not.toContain('never-started');
  });
});
