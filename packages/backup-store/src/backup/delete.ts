import type { ObjectStore } from '@convoy/core';
import { ConvoyError, validateName } from '@convoy/core';
import { archiveKeyOf } from './archive-key.js';
import { type EngineContext, withStoreLock } from './context.js';
import { KeyBatch } from './key-batch.js';
import { backupConfigKey, backupNameFromConfigFile, blockKey, deletionJournalDir, deletionJournalKey, locksDir, volumeConfigKey, volumeDir } from './layout.js';
import { type BackupConfig, backupMode, decodeBackupConfig, encodeBackupConfig, layoutOf } from './records.js';
import { backupNotFound, checkBackupNames, listBackupNames, loadBackupConfig, loadVolumeConfig, saveVolumeConfig } from './store-records.js';
import { runWorkers } from './workers.js';

export interface DeleteBackupParams {
  store: ObjectStore;
  backupName: string;
  volumeName: string;
  owner: string;
}

/**
 * Deletes a backup and the objects only it used, under an exclusive lock.
 *
 * Order: the record goes first (copied to a journal, `deleting/backup_<b>.cfg`), so from then on
 * the backup is no longer listed and no listed backup can lose a block. Then the blocks no other
 * backup of the volume references are removed: mark from every remaining record, sweep only the
 * deleted backup's own candidates (never a walk of the block tree); blocks in packs stay until
 * `prune` (pack-prune.ts) removes or rewrites the packs. The last backup takes the
 * volume's directory with it, by exact keys (`vol1/` never matches `vol10/`). A run killed at any
 * point is finished by running the same delete again (it resumes from the journal).
 */
export async function deleteBackup(ctx: EngineContext, p: DeleteBackupParams): Promise<void> {
  validateName(p.volumeName, 'volume');
  validateName(p.backupName, 'backup');
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a delete needs an owner (host and process) for the store lock');
  await withStoreLock(ctx, p.store, p.volumeName, 'delete', p.owner, async (lock) => {
    // Everything the delete needs to read is read before anything changes: a record it cannot
    // read (a corrupt neighbour) fails the delete while the backup is still listed and whole.
    const others = (await listBackupNames(p.store, p.volumeName)).filter((name) => name !== p.backupName);
    const target = await loadBackupConfig(p.store, p.volumeName, p.backupName);
    const referenced = target && ownsBlockObjects(target) ? await referencedBlocks(p.store, p.volumeName, others) : undefined;
    const backup = await detachBackup(p.store, p.volumeName, p.backupName, target);
    ctx.records.forget(p.store, p.volumeName, p.backupName);
    await collectDetached(p.store, p.volumeName, [backup], lock.key, { remaining: others, referenced });
  });
}

/**
 * Removes what only the detached backups used, then their journals; the caller holds the
 * volume's exclusive lock. Shared by delete (one backup) and forget (many at once): the
 * remaining records are read once, whatever the number of backups going.
 */
export async function collectDetached(
  store: ObjectStore,
  volumeName: string,
  detached: BackupConfig[],
  ownLockKey: string,
  /** What the caller read before detaching anything: the backups that stay, and the blocks they map. */
  before?: { remaining: string[]; referenced: Set<string> | undefined },
): Promise<void> {
  if (detached.length === 0) return;
  const remaining = before?.remaining ?? (await listBackupNames(store, volumeName));
  if (remaining.length === 0) {
    await removeVolumeDirectory(store, volumeName, ownLockKey);
    return;
  }
  const gone = new Set(detached.map((b) => b.Name));
  const stored = await loadVolumeConfig(store, volumeName);
  // The next backup then diffs against nothing (full compare); dedup still avoids re-uploads.
  if (stored && gone.has(stored.volume.LastBackupName)) await saveVolumeConfig(store, { ...stored.volume, LastBackupName: '' }, stored.raw);
  // Resumed from a journal, or not read yet: read the references now (single-file backups map none).
  const references = before?.referenced ?? (detached.some(ownsBlockObjects) ? await referencedBlocks(store, volumeName, remaining) : new Set<string>());
  await sweepUnreferenced(store, volumeName, detached, references);
  await store.delete(detached.map((b) => deletionJournalKey(volumeName, b.Name)));
}

/** The backups whose delete died after journalling them: forget finishes them first. */
export async function loadDeletionJournals(store: ObjectStore, volumeName: string): Promise<BackupConfig[]> {
  const { files } = await store.listDir(deletionJournalDir(volumeName));
  const journals: BackupConfig[] = [];
  for (const file of files) {
    const name = backupNameFromConfigFile(file);
    if (name === undefined) continue;
    const key = deletionJournalKey(volumeName, name);
    const data = await store.get(key);
    if (data) journals.push(checkBackupNames(decodeBackupConfig(data, key), volumeName, name, key));
  }
  return journals;
}

/** Journals and removes the backup's record; or, after a crash, picks the journal up again. */
/** `backup` is its record as just read; undefined when a run that died had journalled it already. */
export async function detachBackup(store: ObjectStore, volumeName: string, backupName: string, backup: BackupConfig | undefined): Promise<BackupConfig> {
  const journal = deletionJournalKey(volumeName, backupName);
  if (backup) {
    await store.put(journal, encodeBackupConfig(backup));
    await store.delete([backupConfigKey(volumeName, backupName)]);
    return backup;
  }
  const data = await store.get(journal);
  if (!data) throw backupNotFound(store, volumeName, backupName);
  return checkBackupNames(decodeBackupConfig(data, journal), volumeName, backupName, journal);
}

/** A v0.5 delta-block backup: its blocks are objects of their own, which a delete may remove. */
function ownsBlockObjects(backup: BackupConfig): boolean {
  return backup.Blocks.length > 0 && layoutOf(backup) === 'convoy-v0.5';
}

/** Every block the given backups map; a record that cannot be read fails (it may map any block). */
async function referencedBlocks(store: ObjectStore, volumeName: string, backups: string[]): Promise<Set<string>> {
  const referenced = new Set<string>();
  await runWorkers(backups, 4, async (name) => {
    const other = await loadBackupConfig(store, volumeName, name);
    for (const m of other?.Blocks ?? []) referenced.add(m.BlockChecksum);
  });
  return referenced;
}

async function sweepUnreferenced(store: ObjectStore, volumeName: string, detached: BackupConfig[], referenced: Set<string>): Promise<void> {
  const batch = new KeyBatch(store);
  for (const backup of detached) if (backupMode(backup) === 'single-file') await batch.add(archiveKeyOf(backup));
  // Blocks in packs are shared by whole packs: prune removes or rewrites those (pack-prune.ts).
  const ownObjects = detached.filter(ownsBlockObjects);
  for (const checksum of new Set(ownObjects.flatMap((b) => b.Blocks.map((m) => m.BlockChecksum)))) {
    if (!referenced.has(checksum)) await batch.add(blockKey(volumeName, checksum));
  }
  await batch.flush();
}

/**
 * Removes every object of the volume by exact key, volume.cfg and the journal last so that a
 * crash leaves something the re-run recognises; other hosts' lock objects stay (they expire).
 */
async function removeVolumeDirectory(store: ObjectStore, volumeName: string, ownLockKey: string): Promise<void> {
  const config = volumeConfigKey(volumeName);
  const locks = locksDir(volumeName);
  const journals = deletionJournalDir(volumeName);
  const batch = new KeyBatch(store);
  const last: string[] = [];
  for await (const { key } of store.list(volumeDir(volumeName))) {
    if (key === ownLockKey || key.startsWith(locks)) continue;
    if (key === config || key.startsWith(journals)) last.push(key);
    else await batch.add(key);
  }
  await batch.flush();
  if (last.includes(config)) await store.delete([config]);
  await store.delete(last.filter((key) => key !== config));
}
