import { randomBytes } from 'node:crypto';
import { type BackupSummary, isConvoyError, type VolumeRecord } from '@convoy/core';
import type { CsiContext } from './context.js';
import { parseSnapshotId, type SnapshotId } from './ids.js';
import type { ContentSource } from './messages.js';
import { invalidArgument, notFound, outOfRange } from './status.js';

/** Where a new volume's data comes from, checked to exist before anything is written. */
export type ResolvedSource =
  | { kind: 'snapshot'; text: string; snapshot: string; volume: VolumeRecord }
  | { kind: 'backup'; text: string; backup: BackupSummary; endpoint?: string }
  | { kind: 'volume'; text: string; volume: VolumeRecord };

export function contentSourceKey(source: ContentSource | null | undefined): string {
  if (!source) return '';
  if (source.snapshot) return `snapshot:${source.snapshot.snapshot_id}`;
  if (source.volume) return `volume:${source.volume.volume_id}`;
  throw invalidArgument('volume_content_source must name a snapshot or a volume');
}

export async function resolveSource(ctx: CsiContext, source: ContentSource | null | undefined): Promise<ResolvedSource | undefined> {
  const text = contentSourceKey(source);
  if (source?.snapshot) {
    const id = parseSnapshotId(source.snapshot.snapshot_id);
    if (!id) throw notFound(`source snapshot ${JSON.stringify(source.snapshot.snapshot_id)} does not exist`);
    return id.kind === 'bak' ? { kind: 'backup', text, ...(await findBackup(ctx, id)) } : resolveLocalSnapshot(ctx, text, id.snapshot);
  }
  if (source?.volume) {
    const volume = await ctx.service.findVolume(source.volume.volume_id).catch(notFoundAsUndefined);
    if (!volume) throw notFound(`source volume ${JSON.stringify(source.volume.volume_id)} does not exist`);
    return { kind: 'volume', text, volume };
  }
  return undefined;
}

async function resolveLocalSnapshot(ctx: CsiContext, text: string, name: string): Promise<ResolvedSource> {
  const snapshot = await ctx.service.getSnapshot(name).catch(notFoundAsUndefined);
  if (!snapshot) throw notFound(`source snapshot ${name} does not exist`);
  return { kind: 'snapshot', text, snapshot: name, volume: await ctx.service.getVolume(snapshot.volumeName) };
}

/** The backup a `bak/` id names, found by the snapshot it was made from. */
export async function findBackup(ctx: CsiContext, id: Extract<SnapshotId, { kind: 'bak' }>): Promise<{ backup: BackupSummary; endpoint?: string }> {
  const target = ctx.targets.get(id.target);
  if (!target)
    throw notFound(
      `snapshot ${formatBak(id)} is in backup target ${id.target}, which this node does not know (start the daemon with --csi-backup-target ${id.target}=STORE_URL)`,
    );
  const params = { volumeName: id.volume, ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }) };
  const backups = await ctx.stores.listBackups(target.url, params).catch((err: unknown) => (isConvoyError(err, 'NOT_FOUND') ? [] : Promise.reject(err)));
  const backup = backups.find((b) => b.snapshotName === id.snapshot);
  if (!backup) throw notFound(`snapshot ${formatBak(id)} has no backup in target ${id.target}`);
  return { backup, ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }) };
}

const formatBak = (id: Extract<SnapshotId, { kind: 'bak' }>): string => `bak/${id.target}/${id.volume}/${id.snapshot}`;

/** Size of the data a source carries: a new volume cannot be smaller. */
function sourceSize(source: ResolvedSource): number {
  return source.kind === 'backup' ? source.backup.volumeSize : source.volume.size;
}

function sourceDriver(source: ResolvedSource): string {
  return source.kind === 'backup' ? source.backup.driver : source.volume.driver;
}

/** Refuses, before anything is written, a source another driver made or one bigger than the limit. */
export function checkSourceFits(source: ResolvedSource, driver: string, limitBytes: number): void {
  const from = sourceDriver(source);
  if (from && from !== driver)
    throw invalidArgument(`the source (${source.text}) belongs to driver ${from}; a volume from it must use driver ${from}, not ${driver}`);
  const size = sourceSize(source);
  if (limitBytes > 0 && size > limitBytes) throw outOfRange(`the source (${source.text}) holds ${size} bytes, above limit_bytes ${limitBytes}`);
}

/**
 * Fills the new volume `name` from its source. A backup restores directly. A local snapshot is
 * backed up into the daemon's own copy store and restored from there (drivers offer no direct
 * copy), then that transfer backup is deleted; a volume is copied through a temporary snapshot.
 */
export async function createFromSource(
  ctx: CsiContext,
  source: ResolvedSource,
  name: string,
  driver: string,
  options: Record<string, string>,
): Promise<VolumeRecord> {
  if (source.kind === 'backup') {
    return ctx.service.createVolume({
      name,
      driver,
      backupUrl: source.backup.url,
      options,
      ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
    });
  }
  if (source.kind === 'snapshot') return copySnapshot(ctx, source.snapshot, name, driver, options);
  const temporary = `csi-clone-${randomBytes(8).toString('hex')}`;
  await ctx.service.createSnapshot(source.volume.name, temporary);
  try {
    return await copySnapshot(ctx, temporary, name, driver, options);
  } finally {
    await ctx.service
      .deleteSnapshot(temporary)
      .catch((err: unknown) => ctx.log.warn('removing the temporary clone snapshot failed', { snapshot: temporary, err }));
  }
}

async function copySnapshot(ctx: CsiContext, snapshot: string, name: string, driver: string, options: Record<string, string>): Promise<VolumeRecord> {
  const transfer = await ctx.service.createBackup({ snapshot, dest: ctx.copyStoreUrl });
  try {
    return await ctx.service.createVolume({ name, driver, backupUrl: transfer.url, options });
  } finally {
    await ctx.stores.deleteBackup(transfer.url).catch((err: unknown) => ctx.log.warn('removing the transfer backup failed', { url: transfer.url, err }));
  }
}

export function notFoundAsUndefined(err: unknown): undefined {
  if (isConvoyError(err, 'NOT_FOUND') || isConvoyError(err, 'INVALID_ARGUMENT')) return undefined;
  throw err;
}
