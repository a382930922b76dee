import type { DriverTraitsView, Options } from '@convoy/core';
import { TARGET_NAME_PATTERN } from './ids.js';
import { invalidArgument } from './status.js';

/** Keys Kubernetes' sidecars may add themselves (`--extra-create-metadata`); never a driver's. */
const KUBERNETES_PREFIX = 'csi.storage.k8s.io/';

export interface VolumeParameters {
  /** The Convoy driver; undefined means the daemon's default. */
  driver?: string;
  options: Options;
}

/**
 * StorageClass `parameters`: `driver` picks the Convoy driver (one of `drivers`, the enabled
 * ones), the rest are its create options: the keys the driver declares (`volumeOptions`).
 */
export function parseVolumeParameters(
  parameters: Record<string, string>,
  drivers: Readonly<Record<string, DriverTraitsView>>,
  defaultDriver: string,
): VolumeParameters {
  const { driver, ...rest } = parameters;
  if (driver !== undefined && !Object.hasOwn(drivers, driver)) {
    throw invalidArgument(`parameter driver=${JSON.stringify(driver)} names no enabled driver; enabled: ${Object.keys(drivers).join(', ')}`);
  }
  const chosen = driver ?? defaultDriver;
  const allowed = drivers[chosen]?.createOptions ?? [];
  const options: Options = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key.startsWith(KUBERNETES_PREFIX)) continue;
    if (!allowed.includes(key)) {
      throw invalidArgument(
        `unknown StorageClass parameter ${JSON.stringify(key)} for driver ${chosen}; accepted: driver${allowed.map((k) => `, ${k}`).join('')}`,
      );
    }
    options[key] = value;
  }
  return { ...(driver === undefined ? {} : { driver }), options };
}

/** A store the daemon may back CSI snapshots up to: `--csi-backup-target NAME=URL[,endpoint=URL]`. */
export interface BackupTarget {
  name: string;
  url: string;
  /** S3 endpoint for S3-compatible servers, as `--s3-endpoint` for `convoy backup`. */
  endpoint?: string;
}

export function parseBackupTarget(text: string): BackupTarget {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq);
  if (!TARGET_NAME_PATTERN.test(name)) {
    throw invalidArgument(`--csi-backup-target ${JSON.stringify(text)}: expected NAME=STORE_URL[,endpoint=URL] with NAME of 1-23 characters from a-z 0-9 -`);
  }
  const [url = '', ...extras] = text.slice(eq + 1).split(',');
  if (url === '') throw invalidArgument(`--csi-backup-target ${name}: the store URL is missing`);
  const target: BackupTarget = { name, url };
  for (const extra of extras) {
    if (!extra.startsWith('endpoint=') || extra === 'endpoint=')
      throw invalidArgument(`--csi-backup-target ${name}: unknown setting ${JSON.stringify(extra)}; only endpoint=URL`);
    target.endpoint = extra.slice('endpoint='.length);
  }
  return target;
}

/** `consistent` is present only when asked for: the snapshot runs the containers' hooks (snapshot create --consistent). */
export type SnapshotParameters = ({ type: 'snap' } | { type: 'bak'; target: BackupTarget }) & { consistent?: true };

/** VolumeSnapshotClass `parameters`: `type` (snap, the default, or bak), `backupTarget` and `consistent` ("true" or "false"). */
export function parseSnapshotParameters(parameters: Record<string, string>, targets: ReadonlyMap<string, BackupTarget>): SnapshotParameters {
  const { type = 'snap', backupTarget, consistent = 'false', ...rest } = parameters;
  const unknown = Object.keys(rest).filter((key) => !key.startsWith(KUBERNETES_PREFIX));
  if (unknown.length > 0)
    throw invalidArgument(`unknown VolumeSnapshotClass parameter ${JSON.stringify(unknown[0])}; accepted: type, backupTarget, consistent`);
  if (consistent !== 'true' && consistent !== 'false') throw invalidArgument(`parameter consistent=${JSON.stringify(consistent)}: use "true" or "false"`);
  const hooks = consistent === 'true' ? { consistent: true as const } : {};
  if (type === 'snap') {
    if (backupTarget !== undefined) throw invalidArgument('backupTarget only applies to type: bak snapshots');
    return { type, ...hooks };
  }
  if (type !== 'bak')
    throw invalidArgument(`parameter type=${JSON.stringify(type)}: use snap (a local snapshot) or bak (a snapshot backed up to a backupTarget)`);
  if (backupTarget === undefined) throw invalidArgument('a type: bak snapshot needs the parameter backupTarget');
  const target = targets.get(backupTarget);
  if (!target) {
    const known = [...targets.keys()];
    throw invalidArgument(
      `backupTarget ${JSON.stringify(backupTarget)} is not configured on this node (${known.length ? `known: ${known.join(', ')}` : 'start the daemon with --csi-backup-target NAME=STORE_URL'})`,
    );
  }
  return { type, target, ...hooks };
}
