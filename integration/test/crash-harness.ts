/**
 * What the kill -9 tests share: children running engine-process.child.ts (bundled once with
 * esbuild), a vfs store with a volume backed up once, and the check that every listed backup
 * restores bit-exact. The engine here and in the children uses 4 MiB packs (two 2 MiB blocks each), so that a backup in
 * the pack layout writes several packs and can be killed between them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBackupEngine } from '@convoy/backup-store';
import { BLOCK_SIZE } from '@convoy/backup-store/testing';
import { type BackupSummary, type ConvoyErrorJSON, isConvoyError, type ObjectStore, type StoreLayout } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { bundleForNode } from '@convoy/test-support/bundle';
import { tempDir } from '@convoy/test-support/tmp';
import { expect } from 'vitest';
import type { ChildJob } from './engine-process.child.js';
import { startJsonChild } from './json-child.js';

const MiB = 1024 * 1024;
export const PACK_SIZE = 4 * MiB;
const scratch = await tempDir('convoy-crash-');
const bundle = await bundleForNode(path.join(import.meta.dirname, 'engine-process.child.ts'));
/**
 * One block at a time: blocks then land in packs in offset order. With blocks in flight side by
 * side they land in the order their compressions finish, and now and then the two blocks a test
 * keeps shared a pack, which left no partly unused pack for the repack tests to kill.
 */
export const engine = createBackupEngine({ packs: { size: PACK_SIZE }, concurrency: 1 });
/** Short locks in the children, so a killed child's lock expires within the test. */
const CHILD_LOCK = { durationMs: 800, refreshMs: 250, intentWaitMs: 300 };

export interface Outcome {
  signal: NodeJS.Signals | null;
  ok?: boolean;
  result?: BackupSummary | null;
  error?: ConvoyErrorJSON;
}

export function startChild(job: ChildJob): { done: Promise<Outcome>; kill: () => void } {
  const { done, kill } = startJsonChild<Omit<Outcome, 'signal'>>(bundle, { lock: CHILD_LOCK, packSize: PACK_SIZE, ...job });
  return { done: done as Promise<Outcome>, kill };
}

export const runChild = (job: ChildJob): Promise<Outcome> => startChild(job).done;

export interface Env {
  dir: string;
  storeDir: string;
  storeUrl: string;
  store: ObjectStore;
  sourceDir: string;
  source: ImageSource;
}

/** vol1 (6 blocks, backed up as b1 from snap1 in `layout`) with 4 blocks rewritten in snap2. */
export async function makeEnv(layout: StoreLayout): Promise<Env & { b1: BackupSummary }> {
  const dir = await mkdtemp(path.join(scratch, 'env-'));
  const storeDir = path.join(dir, 'store');
  await mkdir(storeDir);
  const storeUrl = `vfs://${storeDir}`;
  const sourceDir = path.join(dir, 'source');
  const source = await ImageSource.open(sourceDir);
  await source.createVolume('vol1', 12 * MiB);
  for (let i = 0; i < 6; i++) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.snapshot('vol1', 'snap1');
  const store = await openFsObjectStore(new URL(storeUrl));
  const b1 = await engine.createBackup({
    store,
    destUrl: storeUrl,
    driverName: 'image',
    volume: source.volumeRecord('vol1'),
    snapshot: source.snapshotRecord('vol1', 'snap1'),
    ops: source,
    owner: 'parent',
    layout,
  });
  for (const i of [0, 2, 3, 5]) await source.writeVolume('vol1', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.snapshot('vol1', 'snap2');
  return { dir, storeDir, storeUrl, store, sourceDir, source, b1 };
}

/** Retries while a killed child's lock has not expired yet. */
export async function untilUnlocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConvoyError(err, 'LOCKED') || attempt > 40) throw err;
      await sleep(50);
    }
  }
}

export async function untilUnlockedChild(job: ChildJob): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await runChild(job);
    if (outcome.error?.code !== 'LOCKED' || attempt > 20) return outcome;
    await sleep(100);
  }
}

/** A whole-store verify lists a volume a killed child's lock still holds as not checked: retried until that lock expires. */
export async function verifyDeep(env: Env): Promise<void> {
  let report = await engine.verify({ store: env.store, destUrl: env.storeUrl, owner: 'verifier', deep: true });
  for (let attempt = 0; attempt < 40 && report.notChecked.length > 0; attempt++) {
    await sleep(50);
    report = await engine.verify({ store: env.store, destUrl: env.storeUrl, owner: 'verifier', deep: true });
  }
  expect(report.problems, JSON.stringify(report.problems)).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Every listed backup restores bit-exact (compared with its snapshot); returns their names. */
export async function verifyStore(env: Env): Promise<string[]> {
  const source = await ImageSource.open(env.sourceDir);
  const backups = await engine.listBackups({ store: env.store, destUrl: env.storeUrl });
  for (const b of backups) {
    const name = `check-${randomBytes(4).toString('hex')}`;
    await untilUnlocked(() =>
      engine.restoreBackup({
        store: env.store,
        backupName: b.name,
        volumeName: b.volumeName,
        driverName: 'image',
        ops: source,
        request: { name, options: {} },
        owner: 'verifier',
      }),
    );
    const [restored, snapshot] = await Promise.all([readFile(source.volumePath(name)), readFile(source.snapshotPath(b.snapshotName))]);
    expect(hash(restored), `backup ${b.name} of ${b.snapshotName}`).toBe(hash(snapshot));
  }
  return backups.map((b) => b.name);
}

export const hash = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
