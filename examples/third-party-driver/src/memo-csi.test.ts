// A third-party driver reached through Kubernetes CSI: its declared traits (node-local) give its
// volumes topology, and a StorageClass parameter it declares (`note`) reaches its createVolume,
// while one it does not declare is refused. CSI knows nothing of memo by name.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { createCommandRunner, ObjectStoreRegistry, silentLogger } from '@convoy/core';
import { CSI_TOPOLOGY_KEY, type CsiServer, startCsiServer } from '@convoy/csi-server';
import { type CsiClients, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { VolumeManager } from '@convoy/volume-service';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import memo from './index.js';

const run = createCommandRunner({ timeoutMs: 60_000 });
const mountCapability = { mount: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

describe('memo through CSI', () => {
  let dir: string;
  let manager: VolumeManager;
  let server: CsiServer;
  let csi: CsiClients;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-memo-csi-'));
    const driver = await memo.create({ root: path.join(dir, 'memo'), options: {}, run, log: silentLogger });
    manager = new VolumeManager({ drivers: [driver], stores: new ObjectStoreRegistry(), engine: createBackupEngine(), owner: 'test:1', log: silentLogger });
    await manager.open();
    server = await startCsiServer({
      service: manager,
      stores: manager.storeOperations,
      socketPath: path.join(dir, 'csi.sock'),
      nodeId: 'node-a',
      stateDir: dir,
      version: 'test',
      run,
      log: silentLogger,
    });
    csi = csiClients(server.socketPath);
  });
  afterAll(async () => {
    csi?.close();
    await server?.close();
    await manager?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands a declared StorageClass option to the driver, and places the volume on this node', async () => {
    const created = await csi.controller.CreateVolume!({
      name: 'pvc-noted',
      volume_capabilities: [mountCapability],
      parameters: { driver: 'memo', note: 'orders database' },
    });
    expect(created.volume.accessible_topology).toEqual([{ segments: { [CSI_TOPOLOGY_KEY]: 'node-a' } }]);
    const volume = await manager.getVolume(created.volume.volume_id);
    expect(volume).toMatchObject({ driver: 'memo', driverInfo: { Note: 'orders database' } });
  });

  it('refuses a parameter the driver does not declare, naming what it accepts, and creates nothing', async () => {
    const err = await csi.controller.CreateVolume!({
      name: 'pvc-typo',
      volume_capabilities: [mountCapability],
      parameters: { driver: 'memo', nots: 'x' },
    }).catch((e: unknown) => e);
    expect(grpcCode(err)).toBe(status.INVALID_ARGUMENT);
    expect((err as Error).message).toMatch(/unknown StorageClass parameter "nots" for driver memo; accepted: driver, note/);
    expect((await manager.listVolumes()).map((v) => v.name)).toEqual(['pvc-noted']);
  });

  it('refuses a multi-node access mode: the driver declared its volumes node-local', async () => {
    const err = await csi.controller.CreateVolume!({
      name: 'pvc-shared',
      volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }],
      parameters: {},
    }).catch((e: unknown) => e);
    expect(grpcCode(err)).toBe(status.INVALID_ARGUMENT);
    expect((err as Error).message).toMatch(/driver memo keeps volumes on one node/);
  });

  it('reports its traits in the daemon info', async () => {
    expect((await manager.info()).driverTraits['memo']).toEqual({
      nodeLocal: true,
      blockDevice: false,
      sizeUnit: 1,
      honoursSize: false,
      createOptions: ['note'],
      changedBlocks: false,
    });
  });
});
