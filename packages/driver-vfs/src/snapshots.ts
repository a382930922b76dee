import { promises as fs } from 'node:fs';
import { type CommandRunner, ConvoyError, type Logger, type SnapshotOps, type SnapshotRecord } from '@convoy/core';
import { copyTree, discardDirectory, exists, publishDirectory } from './directories.js';
import type { VfsLayout } from './layout.js';
import { nowAsConfigTime, snapshotRecordsOf, toSnapshotRecord, type VolumeConfigs } from './volume-config.js';

/**
 * A snapshot is an immutable copy of the volume's directory under `.snapshots/<volume>/` on
 * the shared path (Convoy kept a tarball on one host's local disk, which other hosts could not
 * reach). The copy is made in the temp area and published by a rename, so a snapshot is never
 * seen half copied. Writes during the copy may or may not be in it: the vfs driver cannot
 * freeze a shared directory (see README).
 */
export class VfsSnapshots implements SnapshotOps {
  constructor(
    private readonly layout: VfsLayout,
    private readonly configs: VolumeConfigs,
    private readonly run: CommandRunner,
    private readonly log: Logger,
  ) {}

  async createSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord> {
    const final = this.layout.snapshotDir(volumeName, snapshotName);
    return this.configs.locked(volumeName, async () => {
      const config = await this.configs.require(volumeName);
      if (config.Snapshots[snapshotName]) {
        throw new ConvoyError('ALREADY_EXISTS', `volume ${volumeName} already has a snapshot ${snapshotName}`, { details: { snapshot: snapshotName } });
      }
      if (await exists(final)) {
        throw new ConvoyError(
          'ALREADY_EXISTS',
          `snapshot data ${final} is left from an earlier volume ${volumeName} (deleted with --reference, or a crash); remove it or choose another snapshot name`,
          { details: { snapshot: snapshotName, path: final } },
        );
      }
      const started = Date.now();
      const prepared = this.layout.tempPath(`snapshot-${snapshotName}`);
      await fs.mkdir(this.layout.tmpDir, { recursive: true });
      try {
        await copyTree(this.run, this.layout.dataDir(volumeName), prepared);
        await publishDirectory(prepared, final);
      } catch (err) {
        await fs.rm(prepared, { recursive: true, force: true });
        throw err;
      }
      const entry = { Name: snapshotName, CreatedTime: nowAsConfigTime(), VolumeUUID: volumeName, FilePath: final };
      await this.configs.write({ ...config, Snapshots: { ...config.Snapshots, [snapshotName]: entry } });
      this.log.info('vfs snapshot created', { volume: volumeName, snapshot: snapshotName, ms: Date.now() - started });
      return toSnapshotRecord(entry, volumeName);
    });
  }

  /** The copy is moved to the trash first, then the entry goes, so no entry ever points at half a copy. */
  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    await this.configs.locked(volumeName, async () => {
      const config = await this.configs.require(volumeName);
      if (!config.Snapshots[snapshotName]) throw snapshotNotFound(volumeName, snapshotName);
      await discardDirectory(this.layout, this.layout.snapshotDir(volumeName, snapshotName));
      const { [snapshotName]: _removed, ...rest } = config.Snapshots;
      await this.configs.write({ ...config, Snapshots: rest });
      this.log.info('vfs snapshot deleted', { volume: volumeName, snapshot: snapshotName });
    });
  }

  async getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined> {
    const entry = (await this.configs.read(volumeName))?.Snapshots[snapshotName];
    return entry && toSnapshotRecord(entry, volumeName);
  }

  async listSnapshots(volumeName: string): Promise<SnapshotRecord[]> {
    return snapshotRecordsOf(await this.configs.require(volumeName));
  }

  /** The directory holding a snapshot's files, checked to exist. */
  async dataOf(volumeName: string, snapshotName: string): Promise<string> {
    const config = await this.configs.require(volumeName);
    if (!config.Snapshots[snapshotName]) throw snapshotNotFound(volumeName, snapshotName);
    const dir = this.layout.snapshotDir(volumeName, snapshotName);
    if (!(await exists(dir))) {
      throw new ConvoyError('STATE_ERROR', `the data of snapshot ${snapshotName} of volume ${volumeName} is missing (${dir})`, {
        details: { snapshot: snapshotName, path: dir },
      });
    }
    return dir;
  }
}

function snapshotNotFound(volume: string, snapshot: string): ConvoyError {
  return new ConvoyError('NOT_FOUND', `volume ${volume} has no snapshot ${snapshot}`, { details: { volume, snapshot } });
}
