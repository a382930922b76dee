import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CompressionMethod } from '@convoy/core';
import { isConvoyError } from '@convoy/core';
import { copyDirectoryIntoStore, tempDir } from '@convoy/core/testing';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { backupSnapshot, makeSingleFileEnv, makeSnapshot, restoreBackupAs, type SingleFileEnv, tree } from '../../test/single-file-env.js';
import { createBackupEngine } from './engine.js';
import { backupConfigKey, backupFileKey, volumeConfigKey } from './layout.js';

const engine = createBackupEngine();
const scratch = await tempDir('convoy-single-file-');

type Env = SingleFileEnv;
const makeEnv = (exportOverride?: () => Readable): Promise<Env> => makeSingleFileEnv(scratch, exportOverride);
const backupOf = (env: Env, snapshot: string, compression?: CompressionMethod) => backupSnapshot(engine, env, snapshot, compression);
const restoreAs = (env: Env, backupName: string, newName: string) => restoreBackupAs(engine, env, backupName, newName);

describe('backup engine, single-file mode', () => {
  it.each(['lz4', 'gzip', 'none'] as const)('round-trips a directory tree with %s', async (method) => {
    const env = await makeEnv();
    const snapshotDir = await makeSnapshot(env, 'snap1');
    const progress: number[] = [];
    const summary = await engine.createBackup({
      ...{ store: env.store, destUrl: env.destUrl, driverName: 'dir', ops: env.ops, owner: 'test-host/1', compression: method },
      volume: { name: 'web-data', driver: 'dir', size: 0, createdAt: '2024-01-02T03:04:05.000Z', snapshots: [], driverInfo: {} },
      snapshot: { name: 'snap1', volumeName: 'web-data', createdAt: '2024-01-02T03:05:00.000Z', driverInfo: {} },
      onProgress: (p) => progress.push(p.doneBytes),
    });
    expect(summary).toMatchObject({ mode: 'single-file', compression: method, volumeSize: 0, snapshotCreatedAt: '2024-01-02T03:05:00.000Z' });
    expect(progress.at(-1)).toBeGreaterThan(3 * 1024 * 1024);
    const record = JSON.parse((await env.store.get(backupConfigKey('web-data', summary.name)))!.toString());
    expect(record.SingleFile.FilePath).toBe(backupFileKey('web-data', summary.name));
    expect(record.Blocks).toBeUndefined();
    expect(record.SnapshotCreatedAt).toBe('Tue Jan 02 03:05:00 +0000 2024');
    expect((await env.store.head(record.SingleFile.FilePath))!.size).toBe(summary.uploadedBytes);

    await restoreAs(env, summary.name, 'restored');
    expect(await tree(path.join(env.base, 'volumes/restored'))).toEqual(await tree(snapshotDir));
  });

  it('an lz4 archive is standard LZ4 frames: the lz4 CLI decodes it to the same tar', async () => {
    const env = await makeEnv();
    const snapshotDir = await makeSnapshot(env, 'snap1');
    const summary = await backupOf(env, 'snap1', 'lz4');
    const archive = await env.store.get(backupFileKey('web-data', summary.name));
    const tarBytes = execFileSync('lz4', ['-dc'], { input: archive, maxBuffer: 64 * 1024 * 1024 });
    const extracted = path.join(env.base, 'by-gnu-tar');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', '-', '-C', extracted], { input: tarBytes });
    expect(await tree(extracted)).toEqual(await tree(snapshotDir));
  });

  it('restores a Convoy-style backup: no CompressionMethod, a tar.gz made by GNU tar', async () => {
    const env = await makeEnv();
    const snapshotDir = await makeSnapshot(env, 'convoy-snap');
    const volume = 'web-data';
    const archive = execFileSync('tar', ['czf', '-', '-C', snapshotDir, '.'], { maxBuffer: 64 * 1024 * 1024 });
    await env.store.put(
      volumeConfigKey(volume),
      Buffer.from(JSON.stringify({ Name: volume, Driver: 'dir', Size: 0, CreatedTime: 'Mon Jan 02 15:04:05 -0700 2006', LastBackupName: '' })),
    );
    const filePath = backupFileKey(volume, 'backup-0123456789abcdef');
    await env.store.put(filePath, archive);
    const record = {
      Name: 'backup-0123456789abcdef',
      Driver: '',
      VolumeName: volume,
      SnapshotName: 'convoy-snap',
      SnapshotCreatedAt: 'Mon Jan 02 15:04:05 -0700 2006',
      CreatedTime: 'Mon Jan 02 15:05:05 -0700 2006',
      SingleFile: { FilePath: filePath },
    };
    await env.store.put(backupConfigKey(volume, record.Name), Buffer.from(JSON.stringify(record)));

    const [listed] = await engine.listBackups({ store: env.store, destUrl: env.destUrl, volumeName: volume });
    expect(listed).toMatchObject({
      compression: 'gzip',
      mode: 'single-file',
      createdAt: '2006-01-02T22:05:05.000Z',
      volumeCreatedAt: '2006-01-02T22:04:05.000Z',
    });
    await restoreAs(env, record.Name, 'from-convoy');
    expect(await tree(path.join(env.base, 'volumes/from-convoy'))).toEqual(await tree(snapshotDir));
  });

  it('refuses an archive entry with ../ and writes nothing outside the new volume', async () => {
    const hostile = (): Readable => {
      const pack = tar.pack();
      pack.entry({ name: './fine.txt' }, 'fine');
      pack.entry({ name: '../escape.txt' }, 'escaped');
      pack.finalize();
      return Readable.from(pack);
    };
    const env = await makeEnv(hostile);
    const summary = await backupOf(env, 'whatever', 'gzip');
    const err = await restoreAs(env, summary.name, 'victim').catch((e: unknown) => e);
    expect(isConvoyError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('../escape.txt');
    expect(await readdir(env.base)).not.toContain('escape.txt');
    expect(await readdir(path.join(env.base, 'incoming')).catch(() => [])).toEqual([]);
    expect(await readdir(path.join(env.base, 'volumes')).catch(() => [])).toEqual([]);
  });

  it('a corrupt archive fails as CORRUPT and a missing one as NOT_FOUND, naming it', async () => {
    const env = await makeEnv();
    await makeSnapshot(env, 'snap1');
    const summary = await backupOf(env, 'snap1', 'gzip');
    const key = backupFileKey('web-data', summary.name);
    const original = (await env.store.get(key))!;
    const damaged = Buffer.from(original);
    damaged.fill(0x55, 1000, 5000);
    await env.store.put(key, damaged);
    const corrupt = await restoreAs(env, summary.name, 'r1').catch((e: unknown) => e);
    expect(isConvoyError(corrupt, 'CORRUPT'), String(corrupt)).toBe(true);
    expect((corrupt as Error).message).toContain(summary.name);

    await env.store.delete([key]);
    const missing = await restoreAs(env, summary.name, 'r2').catch((e: unknown) => e);
    expect(isConvoyError(missing, 'NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toContain(key);
    expect(await readdir(path.join(env.base, 'volumes')).catch(() => [])).toEqual([]);
  });

  it('deleting removes the archive; deleting the last backup removes the volume', async () => {
    const env = await makeEnv();
    await makeSnapshot(env, 'snap1');
    const first = await backupOf(env, 'snap1');
    const second = await backupOf(env, 'snap1');
    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'web-data', backupName: first.name, owner: 'o' });
    expect(await env.store.head(backupFileKey('web-data', first.name))).toBeUndefined();
    expect(await env.store.head(backupFileKey('web-data', second.name))).toBeDefined();
    await engine.deleteBackup({ store: env.store, destUrl: env.destUrl, volumeName: 'web-data', backupName: second.name, owner: 'o' });
    expect(await env.store.listDir('convoy-objectstore/')).toEqual({ files: [], dirs: [] });
  });
});

describe('the Convoy v0.5 fixture store, single-file backups', () => {
  it('restores the vfs backup to the files Convoy archived', async () => {
    const fixture = path.resolve(import.meta.dirname, '../../../../test-fixtures/convoy-v0.5-store');
    const expected = JSON.parse(await readFile(path.join(fixture, 'expected.json'), 'utf8')) as {
      singleFile: Array<{ volume: string; backup: string; driver: string; files: Record<string, string> }>;
    };
    const env = await makeEnv();
    await copyDirectoryIntoStore(path.join(fixture, 'store'), env.store);
    for (const want of expected.singleFile) {
      await engine.restoreBackup({
        store: env.store,
        backupName: want.backup,
        volumeName: want.volume,
        driverName: want.driver,
        ops: env.ops,
        request: { name: 'from-fixture', options: {} },
        owner: 'o',
      });
      const root = path.join(env.base, 'volumes/from-fixture');
      for (const [file, sha256] of Object.entries(want.files)) {
        expect(
          createHash('sha256')
            .update(await readFile(path.join(root, file)))
            .digest('hex'),
        ).toBe(sha256);
      }
      expect((await tree(root)).filter((entry) => !entry.endsWith('/'))).toHaveLength(Object.keys(want.files).length);
    }
  });
});
