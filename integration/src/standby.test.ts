import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BLOCK_SIZE } from '@convoy/backup-store/testing';
import { type ConvoyErrorJSON, createCommandRunner, silentLogger } from '@convoy/core';
import { expectCode, ImageSource } from '@convoy/core/testing';
import vfs from '@convoy/driver-vfs';
import { bundleForNode } from '@convoy/test-support/bundle';
import { describe, expect, it } from 'vitest';
import { imageDriver } from '../test/image-driver.js';
import { startJsonChild } from '../test/json-child.js';
import type { StandbyJob } from '../test/standby-process.child.js';
import { BLOCKS, backupNameOf, expectHolds, freshDir, managerOf, site } from '../test/standby-site.js';

/**
 * Standby volumes through the VolumeManager (issue 21 item 1): create --standby, what a standby
 * refuses, sync to the newest or any backup (block-diff on a block-writable driver, a full
 * re-extract on vfs), the state across a restart, activation, and a sync killed (kill -9) at
 * every step: after restart the standby says its sync was interrupted, refuses mounts and
 * activation, and the next sync leaves it bit-exact.
 */

const child = await bundleForNode(path.join(import.meta.dirname, '../test/standby-process.child.ts'));
const run = createCommandRunner({ timeoutMs: 60_000 });

describe('standby volumes in the manager (block-writable driver)', () => {
  it('restores a standby that refuses mounts, snapshots and resizes, syncs to the newest and to an older backup, keeps its state across a restart, and activates', async () => {
    const s = await site();
    const [b1, , b3] = s.urls as [string, string, string];
    const created = await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    expect(created.standby).toMatchObject({ sourceVolume: 'src', backupUrl: b1, storeUrl: s.storeUrl });
    expect(created.standby?.syncing).toBeUndefined();
    expect(created.standby?.status).toBe(`holds ${backupNameOf(b1)}`);
    await expectHolds(s.images, 'dr', 's1');

    await expectCode(s.manager.mountVolume('dr'), 'STANDBY', 'volume dr is a standby volume and cannot be mounted', 'convoy standby activate dr');
    await expectCode(s.manager.createSnapshot('dr', 'dr-snap'), 'STANDBY', 'cannot be snapshotted');
    await expectCode(s.manager.resizeVolume('dr', 2 * BLOCKS * BLOCK_SIZE), 'STANDBY', 'cannot be resized');

    const latest = await s.manager.syncStandby('dr');
    expect(latest).toMatchObject({
      method: 'block-diff',
      previousBackup: created.standby!.backupName,
      blocksWritten: 2,
      blocksZeroed: 1,
      standby: { backupUrl: b3 },
    });
    await expectHolds(s.images, 'dr', 's3');
    const unchanged = await s.manager.syncStandby('dr', { latest: true });
    expect(unchanged).toMatchObject({ method: 'up to date', bytesWritten: 0, backupName: latest.backupName });
    expect(Date.parse(unchanged.standby.syncedAt)).toBeGreaterThanOrEqual(Date.parse(latest.standby.syncedAt));
    const back = await s.manager.syncStandby('dr', { backupUrl: b1 });
    expect(back).toMatchObject({ method: 'block-diff', blocksWritten: 3, blocksZeroed: 0 });
    await expectHolds(s.images, 'dr', 's1');

    // Restarted: a new manager over the same driver state and standby directory.
    await s.manager.close();
    const again = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    await again.open();
    expect((await again.getVolume('dr')).standby).toMatchObject({ backupUrl: b1 });
    expect((await again.listVolumes()).find((v) => v.name === 'dr')?.standby?.backupUrl).toBe(b1);
    expect((await again.getVolume('src')).standby).toBeUndefined();

    const active = await again.activateStandby('dr');
    expect(active.standby).toBeUndefined();
    expect(await again.mountVolume('dr')).toContain('dr');
    await expectCode(again.syncStandby('dr'), 'INVALID_ARGUMENT', 'volume dr is not a standby volume');
    await again.close();
  });

  it('refuses bad sync requests by name and changes nothing: a backup of another volume, of another store, both --backup and --latest, a non-standby', async () => {
    const s = await site();
    const [b1, b2] = s.urls as [string, string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.source.createVolume('other', BLOCK_SIZE);
    await s.manager.createSnapshot('other', 'o1');
    const otherVolume = (await s.manager.createBackup({ snapshot: 'o1', dest: s.storeUrl })).url;
    const elsewhere = path.join(s.dir, 'store2');
    await fs.mkdir(elsewhere);
    const before = await fs.readFile(path.join(s.standbyDir, 'dr.json'), 'utf8');
    await expectCode(s.manager.syncStandby('dr', { backupUrl: otherVolume }), 'INVALID_ARGUMENT', 'follows backups of volume src', 'volume other');
    await expectCode(
      s.manager.syncStandby('dr', { backupUrl: b2.replace(s.storeUrl, `vfs://${elsewhere}`) }),
      'INVALID_ARGUMENT',
      `follows store ${s.storeUrl}`,
    );
    await expectCode(s.manager.syncStandby('dr', { backupUrl: b2, latest: true }), 'INVALID_ARGUMENT', 'not both');
    await expectCode(s.manager.syncStandby('src'), 'INVALID_ARGUMENT', 'not a standby');
    await expectCode(s.manager.createVolume({ name: 'nobackup', standby: true }), 'INVALID_ARGUMENT', '--backup URL with --standby');
    expect(await fs.readFile(path.join(s.standbyDir, 'dr.json'), 'utf8')).toBe(before);
    await expectHolds(s.images, 'dr', 's1');
    await s.manager.close();
  });
});

describe('a standby sync that fails part-way (an injected write error)', () => {
  it('leaves the journal set and says so, and the next sync completes it', async () => {
    const s = await site();
    const [b1, , b3] = s.urls as [string, string, string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.manager.close();
    let writes = 0;
    const failing = imageDriver(await ImageSource.open(s.images), {
      beforeWrite: () => {
        writes += 1;
        if (writes === 2) throw new Error('EIO: injected write failure');
      },
    });
    const manager = managerOf([failing], s.standbyDir);
    await manager.open();
    await expect(manager.syncStandby('dr', { backupUrl: b3 })).rejects.toThrow('injected write failure');
    expect((await manager.getVolume('dr')).standby?.syncing?.to).toBe(backupNameOf(b3));
    await expectCode(manager.activateStandby('dr'), 'STANDBY', 'interrupted');
    const completed = await manager.syncStandby('dr', { backupUrl: b3 });
    expect(completed.standby.syncing).toBeUndefined();
    await expectHolds(s.images, 'dr', 's3');
    await manager.close();
  });
});

describe('activating a standby while it syncs', () => {
  it('is refused at once (BUSY), not queued behind the sync; once the sync ends it activates', async () => {
    const s = await site();
    const [b1, , b3] = s.urls as [string, string, string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.manager.close();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const writing = new Promise<void>((resolve) => (reached = resolve));
    const manager = managerOf(
      [
        imageDriver(await ImageSource.open(s.images), {
          beforeWrite: async () => {
            reached();
            await gate;
          },
        }),
      ],
      s.standbyDir,
    );
    await manager.open();
    const sync = manager.syncStandby('dr', { backupUrl: b3 });
    await writing;
    expect((await manager.getVolume('dr')).standby?.status).toBe(`syncing to ${backupNameOf(b3)}`);
    await expectCode(manager.activateStandby('dr'), 'BUSY', 'standby dr is being synced');
    release();
    await sync;
    expect((await manager.activateStandby('dr')).standby).toBeUndefined();
    await manager.close();
  });
});

describe('standby volumes in the manager (vfs: a full re-extract)', () => {
  it('syncs a directory standby by re-extracting the archive, labelled so, and refuses its backups', async () => {
    const dir = await freshDir();
    const storeDir = path.join(dir, 'store');
    await fs.mkdir(storeDir);
    const storeUrl = `vfs://${storeDir}`;
    const share = path.join(dir, 'share');
    await fs.mkdir(share);
    const driver = await vfs.create({ root: path.join(dir, 'root'), options: { 'vfs.path': share }, run, log: silentLogger });
    const manager = managerOf([driver], path.join(dir, 'standby'));
    await manager.open();
    await manager.createVolume({ name: 'web' });
    await fs.writeFile(path.join(share, 'web', 'index.html'), 'v1');
    await manager.createSnapshot('web', 'w1');
    const first = (await manager.createBackup({ snapshot: 'w1', dest: storeUrl })).url;
    await manager.createVolume({ name: 'web-dr', backupUrl: first, standby: true });
    await fs.writeFile(path.join(share, 'web', 'index.html'), 'v2');
    await fs.writeFile(path.join(share, 'web', 'new.txt'), 'new');
    await manager.createSnapshot('web', 'w2');
    await manager.createBackup({ snapshot: 'w2', dest: storeUrl });

    const synced = await manager.syncStandby('web-dr', { latest: true });
    expect(synced.method).toBe('full re-extract');
    expect(await fs.readFile(path.join(share, 'web-dr', 'index.html'), 'utf8')).toBe('v2');
    expect(await fs.readFile(path.join(share, 'web-dr', 'new.txt'), 'utf8')).toBe('new');
    await expectCode(manager.mountVolume('web-dr'), 'STANDBY', 'convoy standby activate web-dr');
    await expectCode(manager.createSnapshot('web-dr', 'x1'), 'STANDBY');
    await manager.activateStandby('web-dr');
    await manager.createSnapshot('web-dr', 'x1');
    // A deleted standby's state goes with it: a new volume of the same name is an ordinary one.
    await manager.createVolume({ name: 'web-dr2', backupUrl: first, standby: true });
    await manager.deleteVolume('web-dr2', { referenceOnly: false });
    await manager.createVolume({ name: 'web-dr2' });
    expect((await manager.getVolume('web-dr2')).standby).toBeUndefined();
    await manager.close();
  });
});

function runChild(job: StandbyJob) {
  return startJsonChild<{ ok: boolean; error?: ConvoyErrorJSON }>(child, job).done;
}

describe('a standby sync SIGKILLed at each step', () => {
  // b1 → b3 writes blocks 2 and 5 and zeroes block 6: three writes, then the fsync.
  const points: Array<[string, StandbyJob['dieAt']]> = [
    ['at its first block write (journal written, nothing else)', { write: 1 }],
    ['between block writes', { write: 2 }],
    ['at its last block write', { write: 3 }],
    ['after its writes, before the fsync', 'before-fsync'],
    ['after the fsync, before the journal is cleared', 'after-fsync'],
  ];
  it.each(points)('killed %s: the standby says so, refuses mounts and activation, and the next sync leaves it bit-exact', async (_when, dieAt) => {
    const s = await site();
    const [b1, b2, b3] = s.urls as [string, string, string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.manager.close();

    const outcome = await runChild({ images: s.images, standbyDir: s.standbyDir, volume: 'dr', backupUrl: b3, dieAt });
    expect(outcome.signal).toBe('SIGKILL');

    const manager = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    await manager.open();
    const standby = (await manager.getVolume('dr')).standby;
    expect(standby).toMatchObject({ backupUrl: b1, syncing: { to: backupNameOf(b3) }, status: `interrupted sync to ${backupNameOf(b3)}, run standby sync` });
    await expectCode(manager.mountVolume('dr'), 'STANDBY', `interrupted`, 'convoy standby sync dr');
    await expectCode(manager.activateStandby('dr'), 'STANDBY', 'interrupted');

    // The next sync goes elsewhere (b2): it must also undo what the killed sync to b3 wrote.
    const next = await manager.syncStandby('dr', { backupUrl: b2 });
    expect(next.standby.syncing).toBeUndefined();
    await expectHolds(s.images, 'dr', 's2');
    await manager.activateStandby('dr');
    await manager.close();
  });

  it('a sync that runs to the end in a child is clean (the harness itself kills nothing by default)', async () => {
    const s = await site();
    const [b1, , b3] = s.urls as [string, string, string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.manager.close();
    const outcome = await runChild({ images: s.images, standbyDir: s.standbyDir, volume: 'dr', backupUrl: b3 });
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ signal: null, ok: true });
    await expectHolds(s.images, 'dr', 's3');
  });
});
