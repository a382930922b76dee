import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeNeeding } from '@convoy/test-support/gate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceMapper, loopDevice, MiB, poolDeviceIds, run, type TestPool, testPool } from '../test/dm-test-kit.js';
import { CREATE_SNAPSHOT_STEPS, CREATE_VOLUME_STEPS, type CrashStep, DELETE_VOLUME_STEPS, type DriverHooks } from './crash-points.js';
import type { DevmapperDriver } from './driver.js';

/**
 * A hook that "kills" one operation per subject at a chosen step: the operation never resumes
 * (no finally, no rollback), exactly as when the daemon dies there.
 */
function crashAt(plan: Map<string, CrashStep>): DriverHooks & { crashed: Promise<void>[] } {
  const reached = new Map<string, () => void>();
  const crashed = [...plan.keys()].map((subject) => new Promise<void>((resolve) => reached.set(subject, resolve)));
  return {
    crashed,
    reached: (step, subject) => {
      if (plan.get(subject) !== step) return undefined;
      reached.get(subject)?.();
      return new Promise<void>(() => undefined);
    },
  };
}

async function allDevIds(driver: DevmapperDriver): Promise<number[]> {
  const ids = (await driver.listVolumes()).flatMap((v) => [v.driverInfo.DevID as number, ...v.snapshots.map((s) => s.driverInfo.DevID as number)]);
  return ids.sort((a, b) => a - b);
}

async function suspendedDevices(pool: TestPool): Promise<string[]> {
  const { stdout } = await run('dmsetup', ['info', '-c', '--noheadings', '--separator', ' ', '-o', 'name,attr']);
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(pool.poolName) && line.split(' ')[1]?.[2] === 's')
    .map((line) => line.split(' ')[0] as string);
}

describeNeeding(deviceMapper, 'devicemapper restart, reboot and crash recovery', () => {
  let pool: TestPool;

  beforeAll(async () => {
    pool = await testPool();
  });
  afterAll(async () => {
    await pool?.destroy();
  });

  it('keeps volumes mounted across a daemon restart, and re-creates, re-activates and re-mounts them after a reboot', async () => {
    const driver = await pool.start();
    await driver.createVolume({ name: 'db', options: {} });
    await driver.createVolume({ name: 'idle', options: {} });
    const mountpoint = await driver.mountVolume('db', {});
    const chosen = path.join(pool.root, 'chosen-db2');
    await driver.createVolume({ name: 'db2', options: {} });
    await driver.mountVolume('db2', { mountpoint: chosen });
    const data = randomBytes(3 * MiB);
    await writeFile(path.join(mountpoint, 'table.dat'), data);
    await driver.snapshots.createSnapshot('db', 'before-restart');

    const restarted = await pool.start();
    expect((await restarted.getVolume('db'))?.mountpoint).toBe(mountpoint);
    expect((await readFile(path.join(mountpoint, 'table.dat'))).equals(data)).toBe(true);

    // A reboot: every mount and device is gone, and loop devices come back under new names.
    await pool.deactivate();
    const metadataCopy = await loopDevice(path.dirname(pool.root), 16 * MiB);
    await run('dd', [`if=${pool.metadataDevice}`, `of=${metadataCopy.path}`, 'bs=1M', 'status=none']);
    const rebooted = await pool.start(undefined, { 'dm.metadatadev': metadataCopy.path });
    expect((await rebooted.info()).MetadataDevice).toBe(metadataCopy.path);
    expect((await rebooted.getVolume('db'))?.mountpoint).toBe(mountpoint);
    expect((await rebooted.getVolume('db2'))?.mountpoint).toBe(chosen);
    expect((await rebooted.getVolume('idle'))?.mountpoint).toBeUndefined();
    expect((await readFile(path.join(mountpoint, 'table.dat'))).equals(data)).toBe(true);
    expect((await rebooted.snapshots.listSnapshots('db')).map((s) => s.name)).toEqual(['before-restart']);
    await writeFile(path.join(chosen, 'after-reboot'), 'writable');
    for (const name of ['db', 'db2']) await rebooted.umountVolume(name);
    await pool.deactivate();
    await run('losetup', ['-d', metadataCopy.path]);
    // Back on the original metadata device, which recorded the same devices: nothing lost there either.
    const back = await pool.start(undefined, { 'dm.metadatadev': pool.metadataDevice });
    for (const name of ['db', 'db2', 'idle']) await back.deleteVolume({ name, referenceOnly: false });
  });

  it('releases a metadata snapshot left held, and reports a thin device nobody accounts for without deleting it', async () => {
    await run('dmsetup', ['message', pool.poolName, '0', 'create_thin', '4000']);
    await run('dmsetup', ['message', pool.poolName, '0', 'reserve_metadata_snap']);
    const driver = await pool.start();
    const info = await driver.info();
    expect(info.OrphanDevIds).toEqual([4000]);
    expect(String(info.Problems)).toMatch(/no volume or snapshot accounts for: 4000; they are kept/);
    expect(await poolDeviceIds(pool)).toContain(4000);
    expect((await driver.createVolume({ name: 'next', options: {} })).driverInfo.DevID).toBe(4001);
    await run('dmsetup', ['message', pool.poolName, '0', 'delete', '4000']);
  });

  it('repairs crashes between every step of create, snapshot and delete, leaving no orphan device', async () => {
    const setup = await pool.start();
    const snapshotVolumes = CREATE_SNAPSHOT_STEPS.map((_, i) => `origin${i}`);
    const deleteVolumes = DELETE_VOLUME_STEPS.map((_, i) => `doomed${i}`);
    // Crashes at these steps leave the origin suspended with its filesystem frozen.
    const frozenAt = new Set<CrashStep>(['create-snapshot:origin-suspended', 'create-snapshot:thin-created']);
    const frozen = snapshotVolumes.filter((_, i) => frozenAt.has(CREATE_SNAPSHOT_STEPS[i] as CrashStep));
    for (const name of [...snapshotVolumes, ...deleteVolumes]) await setup.createVolume({ name, options: {} });
    for (const name of frozen) await writeFile(path.join(await setup.mountVolume(name, {}), 'data'), randomBytes(MiB));
    for (const name of deleteVolumes) await setup.snapshots.createSnapshot(name, `${name}-snap`);

    const plan = new Map<string, CrashStep>([
      ...CREATE_VOLUME_STEPS.map((step, i) => [`new${i}`, step] as const),
      ...CREATE_SNAPSHOT_STEPS.map((step, i) => [`snap${i}`, step] as const),
      ...DELETE_VOLUME_STEPS.map((step, i) => [`doomed${i}`, step] as const),
    ]);
    const hooks = crashAt(plan);
    const doomed = await pool.start(hooks);
    CREATE_VOLUME_STEPS.forEach((_, i) => void doomed.createVolume({ name: `new${i}`, options: {} }));
    DELETE_VOLUME_STEPS.forEach((_, i) => void doomed.deleteVolume({ name: `doomed${i}`, referenceOnly: false }));
    CREATE_SNAPSHOT_STEPS.forEach((_, i) => void doomed.snapshots.createSnapshot(`origin${i}`, `snap${i}`));
    await Promise.all(hooks.crashed);
    expect((await suspendedDevices(pool)).length).toBe(frozen.length);

    const recovered = await pool.start();
    expect(await suspendedDevices(pool)).toEqual([]);
    const info = await recovered.info();
    expect(info.OrphanDevIds).toEqual([]);
    expect(info.Problems).toEqual([]);
    expect(await poolDeviceIds(pool)).toEqual(await allDevIds(recovered));

    // Only a create that saved its state survives; the rest never happened.
    const names = (await recovered.listVolumes()).map((v) => v.name);
    for (const [i, step] of CREATE_VOLUME_STEPS.entries()) expect(names.includes(`new${i}`), step).toBe(step === 'create-volume:state-saved');
    for (const [i, step] of CREATE_SNAPSHOT_STEPS.entries()) {
      expect(
        (await recovered.snapshots.listSnapshots(`origin${i}`)).map((s) => s.name),
        step,
      ).toEqual(step === 'create-snapshot:state-saved' ? [`snap${i}`] : []);
    }
    // An origin a crash left suspended (and frozen) takes writes again.
    for (const name of frozen) await writeFile(path.join(pool.root, 'mounts', name, 'after'), 'thawed');
    // A delete, once recorded, is finished.
    for (const name of deleteVolumes) expect(names).not.toContain(name);

    const survivor = await recovered.mountVolume('new5', {});
    await writeFile(path.join(survivor, 'ok'), 'ok');
    const fresh = await recovered.createVolume({ name: 'after-crash', options: {} });
    expect(fresh.driverInfo.DevID as number).toBeGreaterThan(Math.max(...(await poolDeviceIds(pool)).filter((id) => id !== fresh.driverInfo.DevID)));
    await pool.deactivate();
  });
});
