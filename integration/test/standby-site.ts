/**
 * The standby tests' common ground: a manager over image-file volumes and a directory store, a
 * source volume `src` backed up three times (b1; b2 one block changed; b3 another changed and one
 * zeroed), and the bit-exact check that a standby holds what a snapshot held.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { BLOCK_SIZE } from '@convoy/backup-store/testing';
import { type Logger, ObjectStoreRegistry, silentLogger, type VolumeDriver } from '@convoy/core';
import { ImageSource } from '@convoy/core/testing';
import fsStore from '@convoy/objectstore-fs';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { type EncryptionKeyParam, VolumeManager } from '@convoy/volume-service';
import { expect } from 'vitest';
import { imageDriver } from './image-driver.js';

export const BLOCKS = 8;
export const freshDir = await tempDirFactory('convoy-standby-');

/** A manager with its own engine, which holds no key of its own (a daemon started without --encryption-key-file). */
export function managerOf(drivers: VolumeDriver[], standbyDir: string, log: Logger = silentLogger): VolumeManager {
  const stores = new ObjectStoreRegistry();
  stores.register(fsStore);
  return new VolumeManager({ drivers, stores, engine: createBackupEngine(), owner: `standby-test:${process.pid}`, log, standbyDir });
}

export interface Site {
  dir: string;
  storeUrl: string;
  standbyDir: string;
  images: string;
  source: ImageSource;
  manager: VolumeManager;
  /** Backups b1..b3 of `src`, of snapshots s1..s3. */
  urls: string[];
}

/** Volume `src` on an image driver, backed up three times; `key` encrypts its backups (the caller's key, the engine has none). */
export async function site(opts: { key?: EncryptionKeyParam } = {}): Promise<Site> {
  const dir = await freshDir();
  const images = path.join(dir, 'images');
  const storeDir = path.join(dir, 'store');
  await fs.mkdir(storeDir);
  const storeUrl = `vfs://${storeDir}`;
  const source = await ImageSource.open(images);
  const standbyDir = path.join(dir, 'standby');
  const manager = managerOf([imageDriver(source)], standbyDir);
  await manager.open();
  await source.createVolume('src', BLOCKS * BLOCK_SIZE);
  for (let i = 0; i < BLOCKS; i++) await source.writeVolume('src', i * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  const urls: string[] = [];
  const encryption = opts.key ? { encrypt: true, encryptionKey: opts.key } : {};
  const backup = async (snapshot: string) => {
    await manager.createSnapshot('src', snapshot);
    urls.push((await manager.createBackup({ snapshot, dest: storeUrl, ...encryption })).url);
  };
  await backup('s1');
  await source.writeVolume('src', 2 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await backup('s2');
  await source.writeVolume('src', 5 * BLOCK_SIZE, randomBytes(BLOCK_SIZE));
  await source.discardVolume('src', { offset: 6 * BLOCK_SIZE, length: BLOCK_SIZE });
  await backup('s3');
  return { dir, storeUrl, standbyDir, images, source, manager, urls };
}

/** Volume `volume` (in `volumeImages`) is byte for byte snapshot `snapshot` of the source (in `snapshotImages`). */
export async function expectHolds(volumeImages: string, volume: string, snapshot: string, snapshotImages = volumeImages): Promise<void> {
  const [standby, source] = await Promise.all([ImageSource.open(volumeImages), ImageSource.open(snapshotImages)]);
  const [a, b] = await Promise.all([fs.readFile(standby.volumePath(volume)), fs.readFile(source.snapshotPath(snapshot))]);
  expect(a.equals(b), `${volume} holds ${snapshot}`).toBe(true);
}

export function backupNameOf(url: string): string {
  return new URL(url).searchParams.get('backup')!;
}
