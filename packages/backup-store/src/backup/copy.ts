// `backup copy`: backups a target store lacks, copied from a source store with their identity and
// times, data first and record last, so an interrupted copy is resumed by running it again.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore, ProgressListener, StoreLayout } from '@convoy/core';
import { ConvoyError, parseStoreTime, throwIfCancelled, validateName } from '@convoy/core';
import { archiveKeyOf } from './archive-key.js';
import { type EngineContext, withStoreLock } from './context.js';
import { copyBlocks, learnNames, mappedBytes, type NameMap, targetKnownBlocks } from './copy-blocks.js';
import { isVolumeFailure, stoppedError, type VolumeCopyOutcome, volumesFailedError } from './copy-outcomes.js';
import { accessCopyTarget, advanceLastBackup, ensureTargetVolume, refuseSameStore } from './copy-target.js';
import type { EncryptionMemory } from './crypto/downgrade-guard.js';
import type { Keyring } from './crypto/keyring.js';
import type { UserKey } from './crypto/user-key.js';
import { accessVolume, encryptionKeyIdOf, type VolumeAccess } from './crypto/volume-access.js';
import { backupFileKey } from './layout.js';
import { type BackupConfig, backupBlockSize, backupCompression, backupMode, layoutOf, volumeBlockSize } from './records.js';
import { ArchiveVerifier } from './single-file-digest.js';
import { backupNotFound, listBackupNames, listVolumeNames, loadVolumeConfig, requireBackupConfig, saveBackupConfig } from './store-records.js';
import type { KeyedParams } from './types.js';

export interface CopyBackupsParams extends KeyedParams {
  from: ObjectStore;
  to: ObjectStore;
  /** Only this volume's backups (default: every volume of the source). */
  volumeName?: string;
  /** Only this backup (needs `volumeName`). */
  backupName?: string;
  /** Opens (or, for a store without keys, creates) the target's keys; default: the source's key. */
  targetEncryptionKey?: UserKey;
  /** Seal a clear source's backups for a target that holds the volume encrypted. */
  encrypt?: boolean;
  /** The layout of a volume new to the target (default: the engine's, packs). */
  layout?: StoreLayout;
  owner: string;
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface CopyReport {
  /** Backups copied, by volume, oldest first. */
  copied: Array<{ volumeName: string; backupName: string }>;
  /** Backups the target already held (not touched). */
  skipped: number;
  /** Blocks fetched from the source and stored in the target (delta-block backups). */
  blocksCopied: number;
  /** Archives copied (single-file backups: each is a whole backup of a directory volume). */
  archivesCopied: number;
  /** Bytes stored in the target: blocks and archives. */
  bytesCopied: number;
  /** Distinct blocks of copied backups that the target already held: neither fetched nor stored. */
  blocksReused: number;
  /** Each volume's outcome, in name order: what it copied, or why it could not be copied. */
  volumes: VolumeCopyOutcome[];
}

/** What copy needs from the engine beyond its context: the keyrings and the encryption memory. */
export interface CopyKeys {
  source: Keyring;
  target: Keyring;
  memory: EncryptionMemory;
}

/**
 * Copies the backups the target lacks. Per volume, holding a shared lock on it in both stores
 * (a delete or prune waits; backups and other copies run alongside):
 *
 *  1. list the source's backups and the target's (one listing each); nothing missing → done;
 *  2. settle the target's keys and volume.cfg (copy-target.ts; refusals write nothing);
 *  3. learn source→target block names from backups both hold (two record GETs each) when the
 *     volumes name blocks differently (either is encrypted), and what blocks the target holds
 *     (its pack index: one listing and a GET per index object; v0.5: the maps just read);
 *  4. oldest first, per backup: fetch only blocks the target lacks (v0.5 source: a GET each; packs:
 *     coalesced ranged reads), open and verify each, re-name and re-seal it for the target, store it
 *     (v0.5 target: a PUT each, after a HEAD when the block tree is not empty; packs: a PUT per
 *     pack, then one index object); single-file backups stream their archive through the record's
 *     length and SHA-256 check; then the backup record with the source's name and times (the commit
 *     point), then volume.cfg when the copy is the newest.
 *
 * Request budget for B missing backups of a volume whose new data is N bytes in n blocks: source
 * GETs ≤ n (v0.5) or ≤ N / 8 MiB + packs touched (packs), plus B record GETs; target PUTs ≤ n (v0.5)
 * or N / pack size + 1 per backup (packs), plus B records and ≤ B volume.cfg writes. Bytes moved ≈ N
 * each way: a block the target holds under its target name is never fetched nor stored.
 *
 * Resuming: data goes before its record, so an interrupted copy leaves no record whose data is
 * missing; a re-run lists again and copies only the backups without a record in the target. Blocks
 * a killed run stored are found again (the v0.5 HEAD, or the index objects of backups it finished);
 * packs it left without an index are garbage that prune sweeps.
 *
 * A whole-store copy (no `volumeName`) goes past a volume that fails for a reason of its own
 * (copy-outcomes.ts) and copies the rest; `report.volumes` says each one's outcome, and when any
 * failed the copy throws at the end, naming them. A cancel or a failing store stops it at once.
 */
export async function copyBackups(ctx: EngineContext, keys: CopyKeys, p: CopyBackupsParams): Promise<CopyReport> {
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a copy needs an owner (host and process) for the store locks');
  if (p.backupName !== undefined && p.volumeName === undefined)
    throw new ConvoyError('INVALID_ARGUMENT', 'copying one backup needs its volume name too (a backup URL names both)');
  const volumeName = p.volumeName === undefined ? undefined : validateName(p.volumeName, 'volume');
  if (p.backupName !== undefined) validateName(p.backupName, 'backup');
  await refuseSameStore(p.from, p.to);
  const volumes = volumeName ? [volumeName] : await listVolumeNames(p.from);
  const report: CopyReport = { copied: [], skipped: 0, blocksCopied: 0, archivesCopied: 0, bytesCopied: 0, blocksReused: 0, volumes: [] };
  for (const name of volumes) {
    throwIfCancelled(p.signal, 'the copy');
    const before = { copied: report.copied.length, skipped: report.skipped, bytesCopied: report.bytesCopied };
    const outcome = () => ({
      volumeName: name,
      copied: report.copied.length - before.copied,
      skipped: report.skipped - before.skipped,
      bytesCopied: report.bytesCopied - before.bytesCopied,
    });
    // Each volume of a whole-store copy is its own progress phase, so its line and total are its own.
    const phase = volumeName ? 'copy' : `copy ${name}`;
    try {
      await withStoreLock(ctx, p.from, name, 'restore', p.owner, () =>
        withStoreLock(ctx, p.to, name, 'backup', p.owner, () => copyVolume(ctx, keys, p, name, phase, report)),
      );
    } catch (err) {
      // One volume asked for fails as it always did; a whole-store copy goes past what is that volume's alone.
      if (volumeName) throw err;
      if (!isVolumeFailure(err, p.signal)) throw stoppedError(err, report);
      report.volumes.push({ ...outcome(), error: { code: err.code, message: err.message } });
      continue;
    }
    report.volumes.push(outcome());
  }
  if (report.volumes.some((v) => v.error)) throw volumesFailedError(p.from.url, p.to.url, report);
  return report;
}

async function copyVolume(ctx: EngineContext, keys: CopyKeys, p: CopyBackupsParams, volumeName: string, phase: string, report: CopyReport): Promise<void> {
  const sourceVolume = await loadVolumeConfig(p.from, volumeName);
  if (!sourceVolume)
    throw new ConvoyError('NOT_FOUND', `volume ${volumeName} has no backups in ${p.from.url}`, { details: { volume: volumeName, store: p.from.url } });
  const source = await accessVolume(p.from, volumeName, keys.source, sourceVolume);
  const inSource = await listBackupNames(p.from, volumeName);
  const wanted = p.backupName === undefined ? inSource : [p.backupName];
  if (p.backupName !== undefined && !inSource.includes(p.backupName)) throw backupNotFound(p.from, volumeName, p.backupName);
  const inTarget = new Set(await listBackupNames(p.to, volumeName));
  const missing = wanted.filter((name) => !inTarget.has(name));
  report.skipped += wanted.length - missing.length;
  if (missing.length === 0) return;

  const records = await Promise.all(missing.map((name) => requireBackupConfig(source.store, volumeName, name)));
  records.sort((a, b) => timeOf(a).localeCompare(timeOf(b)) || a.Name.localeCompare(b.Name));
  const existing = await loadVolumeConfig(p.to, volumeName);
  const sourceEncrypted = encryptionKeyIdOf(volumeName, sourceVolume.raw) !== undefined;
  const access = await accessCopyTarget({
    store: p.to,
    volumeName,
    sourceEncrypted,
    encrypt: p.encrypt === true,
    keyring: keys.target,
    memory: keys.memory,
    existing,
  });
  const stored = await ensureTargetVolume({
    store: p.to,
    source: sourceVolume.volume,
    first: records[0]!,
    existing,
    layout: p.layout,
    packSize: ctx.packs.size,
    encryptionKeyId: access.encryptionKeyId,
  });
  const layout = layoutOf(stored.volume);
  const sameNames = !sourceEncrypted && !access.encryptionKeyId;
  const { names, targetMaps } = await knownNames(source, access, volumeName, sameNames && layout === 'packs' ? [] : [...inTarget], sameNames);
  const lastName = stored.volume.LastBackupName;
  const last = lastName && inTarget.has(lastName) ? await requireBackupConfig(access.store, volumeName, lastName) : undefined;
  let lastCreated = last && timeOf(last);
  const target = {
    access,
    volumeName,
    layout,
    packSize: stored.volume.PackSize ?? ctx.packs.size,
    packUploads: ctx.packs.uploads,
    known: await targetKnownBlocks(access.store, volumeName, layout, targetMaps),
    // A v0.5 record states one compression for all its blocks, the shared ones too: keep the target's.
    compression: layout === 'convoy-v0.5' && last && backupMode(last) === 'delta-block' ? backupCompression(last) : undefined,
  };
  const totalBytes = records.reduce((sum, b) => sum + (backupMode(b) === 'single-file' ? (b.ArchiveSize ?? 0) : mappedBytes(b)), 0);
  let doneBytes = 0;
  const advance = (bytes: number) => {
    doneBytes += bytes;
    p.onProgress?.({ phase, doneBytes, totalBytes: Math.max(totalBytes, doneBytes) });
  };

  for (const backup of records) {
    throwIfCancelled(p.signal, 'the copy');
    let copy: BackupConfig;
    if (backupMode(backup) === 'single-file') {
      const bytes = await copyArchive(source.store, access.store, backup, advance, p.signal);
      copy = { ...backup, SingleFile: { FilePath: backupFileKey(volumeName, backup.Name) } };
      report.archivesCopied += 1;
      report.bytesCopied += bytes;
    } else {
      if (backupBlockSize(backup) !== volumeBlockSize(stored.volume)) {
        throw new ConvoyError(
          'INVALID_ARGUMENT',
          `backup ${backup.Name} of volume ${volumeName} is in ${backupBlockSize(backup)}-byte blocks; the volume in ${p.to.url} is in ${volumeBlockSize(stored.volume)}-byte blocks`,
          {
            details: { backup: backup.Name, blockSize: backupBlockSize(backup) },
          },
        );
      }
      const moved = await copyBlocks({
        source,
        target,
        backup,
        names,
        workers: ctx.workers,
        concurrency: ctx.concurrency,
        onBlockBytes: advance,
        signal: p.signal,
      });
      const { Layout: _, ...rest } = backup;
      copy = { ...rest, Blocks: moved.blocks, CompressionMethod: moved.compression, ...(layout === 'packs' ? { Layout: layout } : {}) };
      report.blocksCopied += moved.copiedBlocks;
      report.bytesCopied += moved.copiedBytes;
      report.blocksReused += moved.reusedBlocks;
    }
    // The commit point: the record, after all of its data. Name, times and UploadedBytes stay the
    // source's, so `backup list` shows the same backup in both stores; what moved is the report's.
    await saveBackupConfig(access.store, copy);
    lastCreated = await advanceLastBackup(p.to, volumeName, copy, timeOf(copy), lastCreated);
    report.copied.push({ volumeName, backupName: backup.Name });
  }
}

/**
 * Source→target names from the backups both stores hold (undefined when both volumes name blocks
 * alike), and the target's block maps of those backups (what a v0.5 target is known to hold).
 */
async function knownNames(
  source: VolumeAccess,
  target: VolumeAccess,
  volumeName: string,
  inTarget: string[],
  sameNames: boolean,
): Promise<{ names: NameMap | undefined; targetMaps: BackupConfig['Blocks'][] }> {
  const names: NameMap | undefined = sameNames ? undefined : new Map();
  const targetMaps: BackupConfig['Blocks'][] = [];
  for (const backupName of inTarget) {
    const copied = await requireBackupConfig(target.store, volumeName, backupName);
    targetMaps.push(copied.Blocks);
    if (!names) continue;
    const original = await requireBackupConfig(source.store, volumeName, backupName).catch(() => undefined);
    // Only from a true copy: the same snapshot at the same time (a name alone could be another backup's).
    if (
      original &&
      original.SnapshotName === copied.SnapshotName &&
      original.SnapshotCreatedAt === copied.SnapshotCreatedAt &&
      timeOf(original) === timeOf(copied)
    ) {
      learnNames(names, original.Blocks, copied.Blocks);
    }
  }
  return { names, targetMaps };
}

/** Streams an archive from store to store through the record's length and SHA-256 check (a bad one stores nothing under the name). */
async function copyArchive(
  from: ObjectStore,
  to: ObjectStore,
  backup: BackupConfig,
  onBytes: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const key = archiveKeyOf(backup);
  const source = await from.getStream(key, { signal });
  if (!source)
    throw new ConvoyError('NOT_FOUND', `the archive ${key} of backup ${backup.Name} is missing from ${from.url}`, { details: { key, backup: backup.Name } });
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  const moving = pipeline(source, new ArchiveVerifier(backup, key), counter, signal ? { signal } : {});
  // A failed upload ends the pipeline too, so no stage waits for a reader that is gone.
  const uploading = to.put(backupFileKey(backup.VolumeName, backup.Name), counter, signal ? { signal } : {}).catch((err: unknown) => {
    counter.destroy(err as Error);
    throw err;
  });
  const [moved, uploaded] = await Promise.allSettled([moving, uploading]);
  if (moved.status === 'rejected') throw moved.reason;
  if (uploaded.status === 'rejected') throw uploaded.reason;
  return bytes;
}

/** A backup's creation time to order by: the record's ISO time, else Convoy's RubyDate. */
function timeOf(backup: BackupConfig): string {
  return backup.CreatedAt ?? parseStoreTime(backup.CreatedTime)?.toISOString() ?? '';
}
