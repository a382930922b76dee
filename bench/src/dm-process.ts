// Convoy's side of the device-mapper case, run inside the dm-thin guest as a child process per
// step (so its CPU and RSS are measured like restic's). It opens the devmapper driver as the
// daemon would (same options, same state root) and then does one thing:
//   create:  a thin volume with the base image written onto its device, snapshot `base`;
//   blank:   a new thin volume (a restore target for restic);
//   change:  a pattern's writes onto the device, then its snapshot (the pool now knows the delta);
//   backup:  back a snapshot up: the engine asks the driver for the extents (thin_delta against
//            the last backup's snapshot) and reads only those from the snapshot device;
//   restore: restore the backup of a snapshot into a new thin volume;
//   delete:  remove volumes.
// It prints one JSON line.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { createBackupEngine, parseStoreUrl } from '@convoy/backup-store';
import { createCommandRunner, type Logger, type VolumeRecord } from '@convoy/core';
import { DevmapperDriver } from '@convoy/driver-devmapper';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { timed } from './timed.js';

type Writes = { offset: number; length: number }[];
type Command = { root: string; options: Record<string, string> } & (
  | { op: 'create'; volume: string; size: number; image: string }
  | { op: 'blank'; volume: string; size: number }
  | { op: 'change'; volume: string; image: string; writes: Writes; snapshot: string }
  | { op: 'backup'; volume: string; snapshot: string; storeUrl: string }
  | { op: 'restore'; volume: string; snapshot: string; storeUrl: string; restoredVolume: string }
  | { op: 'delete'; volumes: string[] }
);

const quiet: Logger = { debug() {}, info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) };
const command = JSON.parse(process.argv[2] ?? '') as Command;
const started = performance.now();
const driver = await DevmapperDriver.start({ root: command.root, options: command.options, run: createCommandRunner({ timeoutMs: 600_000 }), log: quiet });
const owner = `convoy-bench@${hostname()}:${process.pid}`;
// A daemon opens the driver once; the bench's process opens it per step, so report both parts.
const driverStartSeconds = (performance.now() - started) / 1000;

function deviceOf(volume: VolumeRecord): string {
  return String(volume.driverInfo.Device);
}

/** Copies `writes` (or the whole image) from `image` onto the volume's device, 2 MiB at a time. */
function copyOnto(device: string, image: string, writes: Writes): void {
  const buf = Buffer.allocUnsafe(2 * 1024 * 1024);
  const from = openSync(image, 'r');
  const to = openSync(device, 'r+');
  try {
    for (const { offset, length } of writes) {
      for (let at = offset; at < offset + length; at += buf.length) {
        const n = Math.min(buf.length, offset + length - at);
        if (readSync(from, buf, 0, n, at) !== n) throw new Error(`short read of ${image} at ${at}`);
        writeSync(to, buf, 0, n, at);
      }
    }
  } finally {
    closeSync(from);
    closeSync(to);
  }
}

async function volumeRecord(name: string): Promise<VolumeRecord> {
  const volume = await driver.getVolume(name);
  if (!volume) throw new Error(`no volume ${name}`);
  return volume;
}

switch (command.op) {
  case 'create': {
    const volume = await driver.createVolume({ name: command.volume, size: command.size, options: {} });
    copyOnto(deviceOf(volume), command.image, [{ offset: 0, length: command.size }]);
    await driver.snapshots.createSnapshot(command.volume, 'base');
    process.stdout.write(JSON.stringify({ device: deviceOf(volume) }));
    break;
  }
  case 'blank': {
    const volume = await driver.createVolume({ name: command.volume, size: command.size, options: {} });
    process.stdout.write(JSON.stringify({ device: deviceOf(volume) }));
    break;
  }
  case 'change': {
    const volume = await volumeRecord(command.volume);
    copyOnto(deviceOf(volume), command.image, command.writes);
    await driver.snapshots.createSnapshot(command.volume, command.snapshot);
    process.stdout.write(JSON.stringify({ device: deviceOf(volume) }));
    break;
  }
  case 'backup':
  case 'restore': {
    const store = await openFsObjectStore(parseStoreUrl(command.storeUrl));
    const engine = createBackupEngine();
    try {
      if (command.op === 'backup') {
        const snapshot = await driver.snapshots.getSnapshot(command.volume, command.snapshot);
        if (!snapshot) throw new Error(`no snapshot ${command.snapshot} of ${command.volume}`);
        const volume = await volumeRecord(command.volume);
        const [summary, operationSeconds] = await timed(() =>
          engine.createBackup({
            store,
            destUrl: command.storeUrl,
            driverName: driver.name,
            volume,
            snapshot,
            ops: driver.backup,
            owner,
          }),
        );
        process.stdout.write(JSON.stringify({ backup: summary, storeStats: store.stats, driverStartSeconds, operationSeconds }));
      } else {
        const [[restored, newest], operationSeconds] = await timed(async () => {
          const backups = await engine.listBackups({ store, destUrl: command.storeUrl, volumeName: command.volume });
          const backup = backups.find((b) => b.snapshotName === command.snapshot);
          if (!backup) throw new Error(`no backup of snapshot ${command.snapshot} in ${command.storeUrl}`);
          const volume = await engine.restoreBackup({
            store,
            backupName: backup.name,
            volumeName: command.volume,
            driverName: driver.name,
            ops: driver.backup,
            request: { name: command.restoredVolume, options: {} },
            owner,
          });
          return [volume, backup] as const;
        });
        const device = deviceOf(await volumeRecord(restored.name));
        process.stdout.write(JSON.stringify({ restored: newest.name, device, storeStats: store.stats, driverStartSeconds, operationSeconds }));
      }
    } finally {
      await store.close();
    }
    break;
  }
  case 'delete': {
    for (const name of command.volumes) await driver.deleteVolume({ name, referenceOnly: false });
    process.stdout.write(JSON.stringify({ deleted: command.volumes }));
    break;
  }
}
