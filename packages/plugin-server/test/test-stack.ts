import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createBackupEngine } from '@convoy/backup-store';
import { createCommandRunner, ObjectStoreRegistry, silentLogger } from '@convoy/core';
import vfs from '@convoy/driver-vfs';
import { VolumeManager } from '@convoy/volume-service';
import { type PluginServer, type PluginServerOptions, startPluginServer } from '../src/server.js';

export interface TestStack {
  manager: VolumeManager;
  server: PluginServer;
  /** The daemon root: where the Docker mount table lives. */
  stateDir: string;
  /** Where the vfs driver keeps volumes. */
  vfsPath: string;
  bodyLimit: number;
  stop(): Promise<void>;
}

const TEST_BODY_LIMIT = 16 * 1024;

/**
 * The real pieces a daemon runs (VolumeManager, the vfs driver, the backup engine, the plugin
 * server on a unix socket) rooted in `dir`. Starting it again on the same `dir` is a restart.
 */
export async function startTestStack(dir: string, serverOpts: Partial<PluginServerOptions> = {}): Promise<TestStack> {
  const stateDir = path.join(dir, 'root');
  const vfsPath = path.join(dir, 'volumes');
  await mkdir(path.join(stateDir, 'vfs'), { recursive: true });
  await mkdir(vfsPath, { recursive: true });
  const driver = await vfs.create({
    root: path.join(stateDir, 'vfs'),
    options: { 'vfs.path': vfsPath },
    run: createCommandRunner({ timeoutMs: 60_000 }),
    log: silentLogger,
  });
  const manager = new VolumeManager({
    drivers: [driver],
    stores: new ObjectStoreRegistry((s) => import(s)),
    engine: createBackupEngine(),
    owner: 'plugin-server-test',
    log: silentLogger,
  });
  await manager.open();
  const server = await startPluginServer({
    service: manager,
    stores: manager.storeOperations,
    socketPath: path.join(dir, 'convoy.sock'),
    stateDir,
    docker: { pluginDir: path.join(dir, 'plugins'), pluginName: 'convoy-test' },
    bodyLimit: TEST_BODY_LIMIT,
    log: silentLogger,
    ...serverOpts,
  }).catch(async (err: unknown) => {
    await manager.close();
    throw err;
  });
  return {
    manager,
    server,
    stateDir,
    vfsPath,
    bodyLimit: TEST_BODY_LIMIT,
    async stop() {
      await server.close();
      await manager.close();
    },
  };
}
