import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ConvoyError,
  checkDeclaredOptions,
  checkSize,
  type DriverContext,
  type OptionSpec,
  ownOptions,
  parseSize,
  readJsonFile,
  writeJsonAtomic,
} from '@convoy/core';

export const VFS_OPTIONS: OptionSpec[] = [
  { key: 'vfs.path', description: 'Directory holding the volumes (a local directory or an NFS mount shared by several hosts)', required: true },
  { key: 'vfs.defaultvolumesize', description: 'Size of the disk image of volumes created with the vm option', default: '100G' },
  {
    key: 'vfs.createmissing',
    description:
      'true: create vfs.path when it does not exist. Off by default: a missing path is refused, so a typo or a share that is not mounted is noticed instead of filling the local disk',
    default: 'false',
  },
  {
    key: 'vfs.restoresetid',
    description:
      'Restore setuid/setgid bits of files from backups (true/false). Off by default, and never saved: whoever can write to a backup store could otherwise plant a setuid-root program in every restored volume. Give it only for stores no one less trusted than root can write',
    default: 'false',
  },
];

/** What `convoy create --opt` and `docker volume create -o` may pass to a vfs volume. */
export const VFS_VOLUME_OPTIONS: OptionSpec[] = [
  { key: 'vm', description: 'true: give the volume a sparse disk image (vfs.defaultvolumesize, or the size asked for) for a VM', default: 'false' },
  { key: 'PrepareForVM', description: "Convoy's spelling of vm", default: 'false' },
];

export interface VfsSettings {
  path: string;
  defaultVolumeSize: number;
  /** `vfs.restoresetid`: keep setuid/setgid bits when restoring. Given at each start, never saved. */
  restoreSetId: boolean;
}

/** The driver's own config, `<root>/vfs.cfg`, with Convoy's field names. */
interface VfsDriverConfig {
  Root: string;
  Path: string;
  ConfigPath: string;
  DefaultVolumeSize: number;
}

/**
 * Settings from `--driver-opts`, falling back to the ones saved at the previous start (so a
 * restart needs no options, as in Convoy). Options given now win over saved ones; the
 * effective settings are saved again.
 */
export async function resolveVfsSettings(ctx: Pick<DriverContext, 'root' | 'options' | 'log'>): Promise<VfsSettings> {
  const savedFile = path.join(ctx.root, 'vfs.cfg');
  checkDeclaredOptions(ownOptions(ctx.options, VFS_OPTIONS), VFS_OPTIONS, 'the vfs driver');
  const saved = await readJsonFile<Partial<VfsDriverConfig>>(savedFile);
  const givenPath = ctx.options['vfs.path'];
  const basePath = givenPath ?? saved?.Path;
  if (!basePath) throw new ConvoyError('INVALID_ARGUMENT', 'the vfs driver needs vfs.path (e.g. --driver-opts vfs.path=/srv/convoy)');
  if (!path.isAbsolute(basePath)) throw new ConvoyError('INVALID_ARGUMENT', `vfs.path must be an absolute path, not ${JSON.stringify(basePath)}`);
  if (givenPath && saved?.Path && saved.Path !== givenPath) ctx.log.warn('vfs.path changed since the last start', { was: saved.Path, now: givenPath });
  const givenSize = ctx.options['vfs.defaultvolumesize'];
  const defaultVolumeSize =
    givenSize !== undefined
      ? parseSize(givenSize, 'vfs.defaultvolumesize', 'volume')
      : saved?.DefaultVolumeSize !== undefined
        ? checkSize(saved.DefaultVolumeSize, `DefaultVolumeSize in ${savedFile}`, 'volume')
        : parseSize('100G', 'the default volume size', 'volume');
  const settings = { path: path.resolve(basePath), defaultVolumeSize, restoreSetId: parseFlag(ctx.options['vfs.restoresetid'], 'vfs.restoresetid') };
  await requireBasePath(settings.path, parseFlag(ctx.options['vfs.createmissing'], 'vfs.createmissing'), ctx.log);
  await fs.mkdir(ctx.root, { recursive: true, mode: 0o700 });
  const effective: VfsDriverConfig = {
    Root: ctx.root,
    Path: settings.path,
    ConfigPath: path.join(settings.path, 'config'),
    DefaultVolumeSize: defaultVolumeSize,
  };
  await writeJsonAtomic(savedFile, effective);
  return settings;
}

/**
 * vfs.path must exist (and be a directory) before the driver starts: creating it silently would
 * hide a typo, or put the volumes on the local disk under a share that is not mounted. With
 * vfs.createmissing=true it is created, and the log says so.
 */
async function requireBasePath(base: string, createMissing: boolean, log: DriverContext['log']): Promise<void> {
  const stats = await fs.stat(base).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ConvoyError('INVALID_ARGUMENT', `vfs.path ${base} cannot be read: ${err.message}`, { cause: err });
  });
  if (stats?.isDirectory()) return;
  if (stats) throw new ConvoyError('INVALID_ARGUMENT', `vfs.path ${base} is not a directory`, { details: { path: base } });
  if (!createMissing) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `vfs.path ${base} does not exist: create it (or mount the share there), or pass --driver-opts vfs.createmissing=true to have the daemon create it`,
      { details: { path: base } },
    );
  }
  await fs.mkdir(base, { recursive: true, mode: 0o755 });
  log.warn('created the missing vfs.path (vfs.createmissing=true)', { path: base });
}

function parseFlag(value: string | undefined, key: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConvoyError('INVALID_ARGUMENT', `${key} must be true or false, not ${JSON.stringify(value)}`);
}
