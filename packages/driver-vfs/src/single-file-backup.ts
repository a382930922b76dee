import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  type CommandRunner,
  ConvoyError,
  type CreateVolumeRequest,
  type ExtractOptions,
  estimatePackedSize,
  extractTarSafely,
  type Logger,
  packDirectory,
  type SingleFileBackupOps,
  type VolumeRecord,
} from '@convoy/core';
import { exists, publishDirectory, swapDirectory, syncFilesystemOf } from './directories.js';
import type { VfsLayout } from './layout.js';
import type { VfsSnapshots } from './snapshots.js';
import { nowAsConfigTime, toVolumeRecord, type VolumeConfigs } from './volume-config.js';

/**
 * Backups of vfs volumes are single archives: a plain tar of the snapshot's directory, which
 * the backup engine compresses and stores. A restore extracts into the temp area on the same
 * filesystem (refusing anything that would escape it), flushes it, and renames it into place.
 */
export class VfsSingleFileBackup implements SingleFileBackupOps {
  readonly mode = 'single-file' as const;

  constructor(
    private readonly layout: VfsLayout,
    private readonly configs: VolumeConfigs,
    private readonly snapshots: VfsSnapshots,
    private readonly run: CommandRunner,
    private readonly log: Logger,
    private readonly extractOptions: ExtractOptions,
  ) {}

  async exportSnapshot(volumeName: string, snapshotName: string): Promise<Readable> {
    const dir = await this.snapshots.dataOf(volumeName, snapshotName);
    return packDirectory(dir, {
      onSkip: (file, kind) => this.log.warn('a file that holds no data is left out of the backup', { volume: volumeName, snapshot: snapshotName, file, kind }),
    });
  }

  async estimateExportSize(volumeName: string, snapshotName: string): Promise<number> {
    return estimatePackedSize(await this.snapshots.dataOf(volumeName, snapshotName));
  }

  /** Never merges into existing data: the name must be free both as a config and as a directory. */
  async importVolume(req: CreateVolumeRequest, tar: Readable): Promise<VolumeRecord> {
    const dataDir = this.layout.dataDir(req.name);
    try {
      return await this.configs.locked(req.name, async () => {
        if (await this.configs.read(req.name)) throw new ConvoyError('ALREADY_EXISTS', `volume ${req.name} already exists`, { details: { volume: req.name } });
        if (await exists(dataDir)) {
          throw new ConvoyError(
            'ALREADY_EXISTS',
            `${dataDir} already exists (data of a volume deleted with --reference?); restore under another name or remove it`,
            {
              details: { volume: req.name, path: dataDir },
            },
          );
        }
        const prepared = this.layout.tempPath(`restore-${req.name}`);
        await fs.mkdir(this.layout.tmpDir, { recursive: true });
        try {
          const report = await extractTarSafely(tar, prepared, this.extractOptions);
          if (report.setIdCleared.length > 0) {
            this.log.warn('setuid/setgid bits in the backup were not restored (start the daemon with --driver-opts vfs.restoresetid=true to keep them)', {
              volume: req.name,
              files: report.setIdCleared.slice(0, 20),
              count: report.setIdCleared.length,
            });
          }
          await syncFilesystemOf(this.run, prepared);
          await publishDirectory(prepared, dataDir);
          this.log.info('vfs volume restored from an archive', { volume: req.name, entries: report.entries, bytes: report.bytes });
        } catch (err) {
          await fs.rm(prepared, { recursive: true, force: true });
          throw err;
        }
        const config = { Name: req.name, Size: 0, Path: dataDir, MountPoint: '', PrepareForVM: false, CreatedTime: nowAsConfigTime(), Snapshots: {} };
        await this.configs.write(config);
        return toVolumeRecord(config, dataDir);
      });
    } finally {
      // Whatever happened, the caller's stream is finished with: release its source.
      tar.destroy();
    }
  }

  /**
   * A standby's sync (a full re-extract: archives have no block map to diff): the archive is
   * extracted into the temp area and flushed while the volume keeps its old content, then the
   * two directories are swapped (swapDirectory). Refused while the volume is mounted.
   */
  async replaceVolume(volumeName: string, tar: Readable): Promise<VolumeRecord> {
    try {
      return await this.configs.locked(volumeName, async () => {
        const config = await this.configs.read(volumeName);
        if (!config) throw new ConvoyError('NOT_FOUND', `volume ${volumeName} does not exist`, { details: { volume: volumeName } });
        if (config.MountPoint)
          throw new ConvoyError('BUSY', `volume ${volumeName} is mounted at ${config.MountPoint}; its content cannot be replaced`, {
            details: { volume: volumeName },
          });
        const dataDir = this.layout.dataDir(volumeName);
        const prepared = this.layout.tempPath(`resync-${volumeName}`);
        await fs.mkdir(this.layout.tmpDir, { recursive: true });
        try {
          const report = await extractTarSafely(tar, prepared, this.extractOptions);
          await syncFilesystemOf(this.run, prepared);
          await swapDirectory(this.layout, prepared, dataDir);
          this.log.info('vfs volume re-extracted from an archive', { volume: volumeName, entries: report.entries, bytes: report.bytes });
        } catch (err) {
          await fs.rm(prepared, { recursive: true, force: true });
          throw err;
        }
        return toVolumeRecord(config, dataDir);
      });
    } finally {
      tar.destroy();
    }
  }
}
