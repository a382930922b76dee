/*
 * Single-file (directory) backups for the engine's tests: a vfs-like driver built from the real
 * archive helpers, an in-memory store, snapshots with a little of everything, and a tree listing
 * to compare a restore with its source.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CompressionMethod, ObjectStore, SingleFileBackupOps } from '@convoy/core';
import { directoryOps, MemoryObjectStore } from '@convoy/core/testing';
import type { BackupEngine } from '../src/backup/types.js';

export { tree } from '@convoy/core/testing';
export { directoryOps };

export interface SingleFileEnv {
  base: string;
  store: ObjectStore;
  destUrl: string;
  ops: SingleFileBackupOps;
}

/** A fresh environment (volumes and snapshots in a new directory under `parent`). */
export async function makeSingleFileEnv(parent: string, exportOverride?: () => Readable): Promise<SingleFileEnv> {
  const base = await mkdtemp(path.join(parent, 'env-'));
  const destUrl = 'mem://single-file';
  return { base, store: new MemoryObjectStore(destUrl), destUrl, ops: directoryOps(base, exportOverride) };
}

/** A snapshot directory with files, a subdirectory, an empty file and an internal symlink. */
export async function makeSnapshot(env: SingleFileEnv, name: string, bigFileBytes = 3 * 1024 * 1024 + 5): Promise<string> {
  const dir = path.join(env.base, 'snapshots', name);
  await mkdir(path.join(dir, 'data/nested'), { recursive: true });
  await writeFile(path.join(dir, 'data/nested/random.bin'), randomBytes(bigFileBytes));
  await writeFile(path.join(dir, 'PG_VERSION'), '16\n');
  await writeFile(path.join(dir, 'empty'), '');
  await symlink('data/nested/random.bin', path.join(dir, 'link'));
  return dir;
}

const VOLUME = 'web-data';

export function backupSnapshot(engine: BackupEngine, env: SingleFileEnv, snapshot: string, compression?: CompressionMethod) {
  return engine.createBackup({
    store: env.store,
    destUrl: env.destUrl,
    driverName: 'dir',
    volume: { name: VOLUME, driver: 'dir', size: 0, createdAt: '2024-01-02T03:04:05.000Z', snapshots: [], driverInfo: {} },
    snapshot: { name: snapshot, volumeName: VOLUME, createdAt: '2024-01-02T03:05:00.000Z', driverInfo: {} },
    ops: env.ops,
    compression,
    owner: 'test-host/1',
  });
}

export function restoreBackupAs(engine: BackupEngine, env: SingleFileEnv, backupName: string, newName: string) {
  return engine.restoreBackup({
    store: env.store,
    backupName,
    volumeName: VOLUME,
    driverName: 'dir',
    ops: env.ops,
    request: { name: newName, options: {} },
    owner: 'test-host/1',
  });
}
