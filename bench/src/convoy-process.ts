// Convoy's side of the bench, as a child process so that its CPU time and peak RSS are measured
// exactly like restic's and borg's. One invocation does one thing:
//   import:  start an image source (untimed): the volume from the base image, snapshot `base`;
//   change:  in a copy of that source (untimed), a pattern's writes and their snapshot, with the
//            changed extents recorded as thin_delta would report them;
//   backup:  back a snapshot up with the engine (an incremental when the store's last backup
//            is of a snapshot the source still has: the CBT path), counting the blocks it reads;
//            `layout` (pnpm bench --layout) is passed on only when given, so the engine's
//            default layout is what the bench measures otherwise;
//   restore: restore the backup of the newest snapshot into a fresh image file;
//   standby-sync: bring a standby volume (a restore of snapshot `from`'s backup) to the backup of
//            snapshot `to` (engine.syncStandby), counting the bytes read from the store.
// It prints one JSON line: what the engine reported and the store's request counts.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { createBackupEngine, parseStoreUrl } from '@convoy/backup-store';
import type { CompressionMethod, ObjectStore, StoreLayout } from '@convoy/core';
import { ImageSource } from '../../packages/core/src/testing/image-source.js';
import { countReads } from '../../packages/core/src/testing/read-counting-store.js';
import { timed } from './timed.js';

const DRIVER = 'image';

interface Pattern {
  name: string;
  image: string;
  writes: { offset: number; length: number }[];
}

type Command =
  | { op: 'import'; dir: string; volume: string; baseImage: string }
  | { op: 'change'; dir: string; volume: string; pattern: Pattern }
  | {
      op: 'backup';
      dir: string;
      storeUrl: string;
      endpoint?: string;
      volume: string;
      snapshot: string;
      blockSize?: number;
      compression?: CompressionMethod;
      layout?: StoreLayout;
      encrypt?: boolean;
    }
  | { op: 'restore'; dir: string; storeUrl: string; endpoint?: string; volume: string; snapshot: string; restoredVolume: string; encrypt?: boolean }
  | {
      op: 'standby-sync';
      dir: string;
      storeUrl: string;
      endpoint?: string;
      volume: string;
      from: string;
      to: string;
      standbyVolume: string;
      encrypt?: boolean;
    };

/** The encrypted case's key: a fixed key file's bytes (a bench measures cost, not secrecy). */
const BENCH_KEY = { kind: 'key-file', secret: Buffer.alloc(32, 0x5a) } as const;

/**
 * The store packages' own openers, imported by scheme as the daemon's store registry does: a
 * run on a directory store never loads the S3 SDK (about 16 MiB of RSS), and neither does the daemon.
 */
async function openStore(storeUrl: string, endpoint: string | undefined): Promise<ObjectStore> {
  const url = parseStoreUrl(storeUrl);
  if (url.protocol === 'vfs:') return (await import('@convoy/objectstore-fs')).openFsObjectStore(url);
  if (url.protocol === 's3:') return (await import('@convoy/objectstore-s3')).openS3ObjectStore(url, endpoint ? { endpoint } : {});
  throw new Error(`the bench has no object store for ${url.protocol}`);
}

/** Copies the pattern's writes from its image into the volume, then records them as changed. */
async function applyPattern(source: ImageSource, volume: string, pattern: Pattern): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.max(...pattern.writes.map((w) => w.length)));
  const from = openSync(pattern.image, 'r');
  const to = openSync(source.volumePath(volume), 'r+');
  try {
    for (const { offset, length } of pattern.writes) {
      if (readSync(from, buf, 0, length, offset) !== length) throw new Error(`short read of ${pattern.image} at ${offset}`);
      writeSync(to, buf, 0, length, offset);
    }
  } finally {
    closeSync(from);
    closeSync(to);
  }
  await source.markChanged(volume, pattern.writes);
}

const owner = `convoy-bench@${hostname()}:${process.pid}`;
const command = JSON.parse(process.argv[2] ?? '') as Command;
const source = await ImageSource.open(command.dir);

if (command.op === 'import') {
  await source.importImage(command.volume, command.baseImage);
  await source.snapshot(command.volume, 'base');
  process.stdout.write(JSON.stringify({ prepared: command.dir }));
} else if (command.op === 'change') {
  await applyPattern(source, command.volume, command.pattern);
  await source.snapshot(command.volume, command.pattern.name);
  process.stdout.write(JSON.stringify({ prepared: command.dir }));
} else {
  const store = await openStore(command.storeUrl, command.endpoint);
  const engine = createBackupEngine(command.encrypt ? { encryptionKey: BENCH_KEY } : {});
  try {
    if (command.op === 'backup') {
      const snapshot = source.snapshotRecord(command.volume, command.snapshot);
      // Counted so the bench can tell an incremental that really took the CBT path from one
      // that fell back to reading every block (which would deduplicate to the same bytes).
      let blocksRead = 0;
      const ops = source.withReadHook(async () => {
        blocksRead += 1;
      });
      const [summary, operationSeconds] = await timed(() =>
        engine.createBackup({
          store,
          destUrl: command.storeUrl,
          driverName: DRIVER,
          volume: source.volumeRecord(command.volume),
          snapshot,
          ops,
          owner,
          ...(command.blockSize ? { blockSize: command.blockSize } : {}),
          ...(command.compression ? { compression: command.compression } : {}),
          ...(command.layout ? { layout: command.layout } : {}),
          encrypt: command.encrypt === true,
        }),
      );
      process.stdout.write(JSON.stringify({ backup: summary, storeStats: store.stats, operationSeconds, blocksRead }));
    } else if (command.op === 'standby-sync') {
      const counted = countReads(store);
      const backups = await engine.listBackups({ store, destUrl: command.storeUrl, volumeName: command.volume });
      const nameOf = (snapshot: string) => {
        const backup = backups.find((b) => b.snapshotName === snapshot);
        if (!backup) throw new Error(`no backup of snapshot ${snapshot} in ${command.storeUrl}`);
        return backup.name;
      };
      counted.reset();
      const [report, operationSeconds] = await timed(() =>
        engine.syncStandby({
          store: counted.store,
          volumeName: command.volume,
          heldBackups: [nameOf(command.from)],
          targetBackup: nameOf(command.to),
          standbyVolume: command.standbyVolume,
          driverName: DRIVER,
          ops: source,
          owner,
        }),
      );
      process.stdout.write(
        JSON.stringify({ ...report, bytesRead: counted.bytesRead, file: source.volumePath(command.standbyVolume), storeStats: store.stats, operationSeconds }),
      );
    } else {
      // Like `restic restore latest`, the restore first finds its backup in the store: the one
      // of the newest snapshot (creation times only have seconds, so they could tie).
      const [newest, operationSeconds] = await timed(async () => {
        const backups = await engine.listBackups({ store, destUrl: command.storeUrl, volumeName: command.volume });
        const backup = backups.find((b) => b.snapshotName === command.snapshot);
        if (!backup) throw new Error(`no backup of snapshot ${command.snapshot} in ${command.storeUrl}`);
        await engine.restoreBackup({
          store,
          backupName: backup.name,
          volumeName: command.volume,
          driverName: DRIVER,
          ops: source,
          request: { name: command.restoredVolume, options: {} },
          owner,
        });
        return backup;
      });
      process.stdout.write(
        JSON.stringify({ restored: newest.name, file: source.volumePath(command.restoredVolume), storeStats: store.stats, operationSeconds }),
      );
    }
  } finally {
    await store.close();
  }
}
