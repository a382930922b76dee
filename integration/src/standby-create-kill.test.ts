/**
 * `convoy create NAME --backup URL --standby` SIGKILLed at each step of its restore (issue 21
 * item 1): before any block is written, mid-way, after the last write before the commit, and
 * after the commit before the standby record says the create is done. After a restart there is
 * either no volume (its record, if left, is inert: nothing shows it, and the same create, or an
 * ordinary create of that name, replaces it) or a standby that holds the backup bit-exact and can
 * be activated. Never an ordinary volume (writable, backed up) restored as a standby, and start-up
 * removes no record: the volume may be on a driver left out of that start.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConvoyErrorJSON } from '@convoy/core';
import { expectCode, ImageSource } from '@convoy/core/testing';
import { bundleForNode } from '@convoy/test-support/bundle';
import { describe, expect, it } from 'vitest';
import { imageDriver } from '../test/image-driver.js';
import { startJsonChild } from '../test/json-child.js';
import type { StandbyJob } from '../test/standby-process.child.js';
import { BLOCKS, backupNameOf, expectHolds, managerOf, site } from '../test/standby-site.js';

const child = await bundleForNode(path.join(import.meta.dirname, '../test/standby-process.child.ts'));

const records = async (dir: string) => (await fs.readdir(dir).catch(() => [] as string[])).sort();

describe('create --standby SIGKILLed at each step of its restore', () => {
  // b1 maps all BLOCKS blocks: BLOCKS writes (one at a time in the child), then the commit.
  const points: Array<[string, 'no volume' | 'standby', StandbyJob['dieAt']]> = [
    ['before any block is written', 'no volume', { write: 1 }],
    ['mid-way', 'no volume', { write: BLOCKS / 2 }],
    ['after the last write, before the commit', 'no volume', 'before-commit'],
    ['after the commit, before the standby record is completed', 'standby', 'after-commit'],
  ];
  it.each(points)('killed %s: after a restart, %s', async (_when, expected, dieAt) => {
    const s = await site();
    const [b1] = s.urls as [string];
    await s.manager.close();

    const outcome = await startJsonChild<{ ok: boolean; error?: ConvoyErrorJSON }>(child, {
      op: 'create',
      images: s.images,
      standbyDir: s.standbyDir,
      volume: 'dr',
      backupUrl: b1,
      dieAt,
    } satisfies StandbyJob).done;
    expect(outcome.signal).toBe('SIGKILL');

    const manager = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    await manager.open();
    const found = await manager.findVolume('dr');
    if (expected === 'no volume') {
      expect(found).toBeUndefined();
      await expectCode(manager.getVolume('dr'), 'NOT_FOUND');
      await expectCode(manager.mountVolume('dr'), 'NOT_FOUND');
      // Nothing left behind stops the same create.
      const again = await manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
      expect(again.standby).toMatchObject({ backupUrl: b1, status: `holds ${backupNameOf(b1)}` });
    } else {
      expect(found?.standby, 'the restored volume is a standby').toMatchObject({ backupUrl: b1, status: `holds ${backupNameOf(b1)}` });
      expect(found?.standby?.syncing).toBeUndefined();
      expect(await records(s.standbyDir)).toEqual(['dr.json']);
    }
    await expectHolds(s.images, 'dr', 's1');
    await expectCode(manager.mountVolume('dr'), 'STANDBY', 'convoy standby activate dr');
    await expectCode(manager.createSnapshot('dr', 'dr-1'), 'STANDBY');
    await manager.activateStandby('dr');
    await expectHolds(s.images, 'dr', 's1');
    await manager.close();
  });

  it("start-up reports a record it cannot read without failing to open, and an ordinary create replaces a killed standby create's record", async () => {
    const s = await site();
    const [b1] = s.urls as [string];
    await s.manager.close();
    const job: StandbyJob = { op: 'create', images: s.images, standbyDir: s.standbyDir, volume: 'dr', backupUrl: b1, dieAt: { write: 1 } };
    expect((await startJsonChild(child, job).done).signal).toBe('SIGKILL');
    await fs.writeFile(path.join(s.standbyDir, 'torn.json'), '{"storeUrl": ');

    const manager = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    const problems = await manager.open();
    expect(problems).toEqual([expect.objectContaining({ code: 'STATE_ERROR', message: expect.stringContaining('standby record of volume torn') })]);
    expect(await records(s.standbyDir)).toEqual(['dr.json', 'torn.json']);
    // The killed create's record does not make an ordinary volume of that name a standby.
    const plain = await manager.createVolume({ name: 'dr', backupUrl: b1 });
    expect(plain.standby).toBeUndefined();
    expect(await records(s.standbyDir)).toEqual(['torn.json']);
    await manager.mountVolume('dr');
    await manager.umountVolume('dr');
    expect((await manager.getVolume('src')).standby).toBeUndefined();
    await manager.close();
  });

  it('start-up keeps a complete standby whose volume no loaded driver has (its driver left out of this start), and it is standby again with its driver back', async () => {
    const s = await site();
    const [b1] = s.urls as [string];
    await s.manager.createVolume({ name: 'dr', backupUrl: b1, standby: true });
    await s.manager.close();

    // The daemon started without the driver that holds dr (another --drivers list, a pool not attached).
    const without = managerOf([imageDriver(await ImageSource.open(path.join(s.dir, 'other-images')))], s.standbyDir);
    await without.open();
    await without.close();
    expect(await records(s.standbyDir), 'a finished standby is not forgotten because its volume is not seen').toEqual(['dr.json']);

    const back = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    await back.open();
    expect((await back.getVolume('dr')).standby).toMatchObject({ backupUrl: b1, status: `holds ${backupNameOf(b1)}` });
    await expectCode(back.mountVolume('dr'), 'STANDBY');
    await back.close();
  });

  it('a create that runs to the end in a child is a standby holding the backup (the harness kills nothing by default)', async () => {
    const s = await site();
    const [b1] = s.urls as [string];
    await s.manager.close();
    const outcome = await startJsonChild<{ ok: boolean }>(child, { op: 'create', images: s.images, standbyDir: s.standbyDir, volume: 'dr', backupUrl: b1 })
      .done;
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ signal: null, ok: true });
    const manager = managerOf([imageDriver(await ImageSource.open(s.images))], s.standbyDir);
    await manager.open();
    expect((await manager.getVolume('dr')).standby).toMatchObject({ backupUrl: b1, status: `holds ${backupNameOf(b1)}` });
    await expectHolds(s.images, 'dr', 's1');
    await manager.close();
  });
});
