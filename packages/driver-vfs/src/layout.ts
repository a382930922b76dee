import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConvoyError, validateName } from '@convoy/core';

/** Convoy kept volume configs here; a volume of this name would collide with it. */
const CONFIG_DIR = 'config';

/**
 * Where everything lives under `vfs.path`, shared by every host that mounts it:
 *
 * ```
 * config/vfs_volume_<name>.json        volume config, Convoy's layout and field names
 * config/vfs_volume_<name>.json.lock/  per-volume lock (a directory: works on NFS)
 * <name>/                              the volume's data, as in Convoy
 * .snapshots/<volume>/<snapshot>/      snapshot copies (on the shared path, unlike Convoy)
 * .convoy-tmp/<purpose>-<owner>-<hex>  copies and restores in progress, trash being removed;
 *                                      <owner> says which daemon's they are (see ownerTag)
 * ```
 *
 * Names never start with a dot, so the dot-directories cannot collide with a volume.
 */
export class VfsLayout {
  readonly configDir: string;
  readonly snapshotsDir: string;
  readonly tmpDir: string;
  private readonly ownerTag: string;

  /**
   * @param owner identifies the daemon (its host and root) among all that share `base`, so a
   * daemon starting up removes its own leftovers and never another host's work in progress.
   */
  constructor(
    readonly base: string,
    owner: string,
  ) {
    this.ownerTag = createHash('sha256').update(owner).digest('hex').slice(0, 8);
    this.configDir = path.join(base, CONFIG_DIR);
    this.snapshotsDir = path.join(base, '.snapshots');
    this.tmpDir = path.join(base, '.convoy-tmp');
  }

  /** Validates the name again: every path below is built from it. */
  dataDir(volume: string): string {
    validateName(volume, 'volume');
    if (volume === CONFIG_DIR) throw new ConvoyError('INVALID_ARGUMENT', `the volume name ${CONFIG_DIR} is reserved by the vfs driver for its configs`);
    return path.join(this.base, volume);
  }

  configFile(volume: string): string {
    return path.join(this.configDir, `vfs_volume_${validateName(volume, 'volume')}.json`);
  }

  lockDir(volume: string): string {
    return `${this.configFile(volume)}.lock`;
  }

  /** The volume name in a config file name, or undefined for anything else in the directory. */
  volumeOfConfigFile(fileName: string): string | undefined {
    const match = /^vfs_volume_(.+)\.json$/.exec(fileName);
    return match?.[1];
  }

  volumeSnapshotsDir(volume: string): string {
    return path.join(this.snapshotsDir, validateName(volume, 'volume'));
  }

  snapshotDir(volume: string, snapshot: string): string {
    return path.join(this.volumeSnapshotsDir(volume), validateName(snapshot, 'snapshot'));
  }

  /** A fresh path in the temp area, on the same filesystem as the data so a rename publishes it. */
  tempPath(purpose: string): string {
    return path.join(this.tmpDir, `${purpose}-${this.ownerTag}-${randomBytes(6).toString('hex')}`);
  }

  /** Whether a temp entry's name says it is this daemon's. */
  isOwnTemp(name: string): boolean {
    return new RegExp(`-${this.ownerTag}-[0-9a-f]{12}$`).test(name);
  }
}
