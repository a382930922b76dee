import { defineDriver } from '@convoy/core';
import { resolveVfsSettings, VFS_OPTIONS } from './options.js';
import { VfsDriver } from './vfs-driver.js';
import { DEFAULT_LOCK_TIMING } from './volume-config.js';

export { resolveVfsSettings, VFS_OPTIONS, type VfsSettings } from './options.js';
export { VfsDriver, type VfsDriverParts } from './vfs-driver.js';
export { DEFAULT_LOCK_TIMING, type VfsVolumeConfig, type VolumeLockTiming } from './volume-config.js';

/** `--drivers vfs --driver-opts vfs.path=/srv/convoy`. */
export default defineDriver({
  name: 'vfs',
  description: 'Volumes are directories under vfs.path, a local directory or an NFS mount shared by several hosts',
  options: VFS_OPTIONS,
  async create(ctx) {
    const settings = await resolveVfsSettings(ctx);
    const driver = new VfsDriver({ settings, root: ctx.root, run: ctx.run, log: ctx.log, lockTiming: DEFAULT_LOCK_TIMING });
    await driver.prepare();
    return driver;
  },
});
