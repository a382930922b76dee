import type { BackupMode, CompressionMethod } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import type { EngineContext } from './context.js';
import { type BackupConfig, backupCompression, backupMode, layoutOf } from './records.js';
import { listBackupNames, type StoredVolume } from './store-records.js';
import type { CreateBackupParams } from './types.js';

/**
 * Per mode, chosen by `pnpm bench` (BENCHMARKS.md): zstd stores 8 % less than lz4 for the same
 * time once the codec runs on the block workers. Archives stream, and zstd's binding cannot.
 */
const DEFAULT_COMPRESSION: Record<BackupMode, CompressionMethod> = { 'delta-block': 'zstd', 'single-file': 'lz4' };

export interface BlockCompression {
  /** What this backup's new blocks are stored with, and its record says. */
  compression: CompressionMethod;
  /**
   * Whether a block object already in the store may stand for a new block of the same name (the
   * v0.5 layout without a previous block map): only when its compression is known to be this one.
   */
  storedBlocksReusable: boolean;
  /** The volume's last backup, when this choice read it (the chain's base reads it from here: one GET). */
  lastBackup?: BackupConfig;
}

/**
 * The compression of a backup. In the v0.5 layout a block object is named by its plaintext alone,
 * so the backups of one volume share block objects whatever compression each asked for, and a
 * record must name the codec its blocks were stored with: a v0.5 volume keeps the compression of
 * its existing backups (gzip in Go Convoy's stores). A backup that asks for nothing takes it; one
 * that asks for another is refused before anything is written. Packs record each blob's
 * compression in their index, and archives stand alone, so there every backup chooses.
 */
export async function chooseCompression(ctx: EngineContext, p: CreateBackupParams, volume: StoredVolume): Promise<BlockCompression> {
  const chosen = p.compression ?? DEFAULT_COMPRESSION[p.ops.mode];
  if (p.ops.mode !== 'delta-block' || layoutOf(volume.volume) !== 'convoy-v0.5') return { compression: chosen, storedBlocksReusable: true };
  const { held, lastBackup } = await heldCompression(ctx, p, volume);
  const loaded = lastBackup ? { lastBackup } : {};
  if (held === undefined) return { compression: chosen, storedBlocksReusable: false, ...loaded };
  if (p.compression !== undefined && p.compression !== held) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `volume ${p.volume.name} in ${p.store.url} stores its blocks with ${held} compression (convoy-v0.5 layout: its backups share blocks by content, ` +
        `so they share one compression); leave --compression out, give ${held}, or back up to another store`,
      { details: { compression: held, requested: p.compression } },
    );
  }
  return { compression: held, storedBlocksReusable: true, ...loaded };
}

/** The compression the volume's v0.5 blocks are stored with: its last backup's, else any backup's; none when it has no v0.5 backup. */
async function heldCompression(
  ctx: EngineContext,
  p: CreateBackupParams,
  volume: StoredVolume,
): Promise<{ held?: CompressionMethod; lastBackup?: BackupConfig }> {
  const volumeName = p.volume.name;
  const last = volume.volume.LastBackupName;
  if (last) {
    const lastBackup = await ctx.records.load(p.store, volumeName, last, 'unknown');
    return lastBackup && isV05Blocks(lastBackup) ? { held: backupCompression(lastBackup), lastBackup } : lastBackup ? { lastBackup } : {};
  }
  for (const name of await listBackupNames(p.store, volumeName)) {
    const record = await ctx.records.load(p.store, volumeName, name, 'listed');
    if (record) return isV05Blocks(record) ? { held: backupCompression(record) } : {};
  }
  return {};
}

function isV05Blocks(record: BackupConfig): boolean {
  return backupMode(record) === 'delta-block' && layoutOf(record) === 'convoy-v0.5';
}
