import type { CompressionMethod, ObjectStore, ProgressListener } from '@convoy/core';
import { ConvoyError, toConvoyError, validateName } from '@convoy/core';
import { archiveKeyOf } from './archive-key.js';
import { decompressBlock } from './block-codec.js';
import { type EngineContext, withStoreLock } from './context.js';
import { loadKeyRecords } from './crypto/key-records.js';
import type { VolumeAccess } from './crypto/volume-access.js';
import { BLOCK_SIZE, backupConfigKey, blockKey, blocksDir, checksumFromBlockKey, locksDir, volumeConfigKey } from './layout.js';
import { verifyPacks } from './pack-verify.js';
import { type BackupConfig, backupCompression, backupMode, layoutOf } from './records.js';
import { checkArchive } from './single-file.js';
import { parseLock } from './store-lock.js';
import { listBackupNames, listVolumeNames, loadBackupConfig, loadVolumeConfig } from './store-records.js';
import { formatBackupUrl } from './url.js';
import { runWorkers } from './workers.js';

export interface VerifyParams {
  store: ObjectStore;
  destUrl: string;
  owner: string;
  /** One volume; with `backupName`, one backup of it. Default: every volume of the store. */
  volumeName?: string;
  backupName?: string;
  /** Read, decrypt, decompress and check every referenced block and archive once. */
  deep?: boolean;
  /** With `deep`: read only this share (0 < f ≤ 1) of the blocks, chosen at random. */
  sample?: number;
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export type VerifyProblemKind =
  | 'missing-block'
  | 'corrupt-block'
  | 'missing-archive'
  | 'corrupt-archive'
  | 'unreadable-record'
  | 'unreadable-lock'
  | 'unreadable-key'
  | 'key-required'
  | 'missing-pack'
  | 'corrupt-pack'
  | 'unreadable-index';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** The object at fault, by its key in the store. */
  key: string;
  volumeName?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  deep: boolean;
  volumes: number;
  backups: number;
  /** Distinct blocks the listed backups reference. */
  blocksReferenced: number;
  /** Distinct blocks read and checked (deep only). */
  blocksRead: number;
  archivesRead: number;
  problems: VerifyProblem[];
  /** URLs of the backups that would not restore. */
  damagedBackups: string[];
  /**
   * Volumes a whole-store verify could not check because a delete, forget or prune held them:
   * not damage (`ok` is false all the same: nothing was proven of them). Run verify again later.
   */
  notChecked: Array<{ volumeName: string; key: string; message: string }>;
}

/** Blocks referenced by a volume's backups, and how one of them compressed each. */
type References = Map<string, CompressionMethod>;

interface StoredBlock {
  checksum: string;
  /** Stored (compressed, sealed) bytes, for progress. */
  size: number;
}

/**
 * `convoy backup verify`: proves the listed backups restore, without restoring them.
 *
 * Quick: every record parses (and, encrypted, authenticates), every referenced block and archive
 * exists — found by walking the block listing alongside the sorted references, never one HEAD per
 * block — and the locks parse. Deep: every referenced block is read once however many backups
 * share it, authenticated, decompressed and checked against its name; archives are streamed
 * through the same checks. Each volume is verified under the shared lock, so backups and
 * restores go on meanwhile; only a delete or prune (exclusive) waits or makes verify wait.
 * Memory: one volume's distinct block names at a time, whatever the store's size.
 */
export async function verifyStore(ctx: EngineContext, p: VerifyParams, access: (volumeName: string) => Promise<VolumeAccess>): Promise<VerifyReport> {
  if (!p.owner) throw new ConvoyError('INVALID_ARGUMENT', 'a verify needs an owner (host and process) for the store lock');
  if (p.backupName !== undefined && p.volumeName === undefined) throw new ConvoyError('INVALID_ARGUMENT', 'verifying one backup needs its volume name');
  const sample = p.sample ?? 1;
  if (!(sample > 0 && sample <= 1)) throw new ConvoyError('INVALID_ARGUMENT', `the sample must be a share between 0 and 1 (e.g. 0.1 for 10%), got ${p.sample}`);
  const report: VerifyReport = {
    ok: true,
    deep: p.deep === true,
    volumes: 0,
    backups: 0,
    blocksReferenced: 0,
    blocksRead: 0,
    archivesRead: 0,
    problems: [],
    damagedBackups: [],
    notChecked: [],
  };
  const volumes = p.volumeName ? [validateName(p.volumeName, 'volume')] : await listVolumeNames(p.store);
  if (p.backupName !== undefined) validateName(p.backupName, 'backup');
  if (!p.volumeName) {
    for (const key of (await loadKeyRecords(p.store)).broken)
      report.problems.push({ kind: 'unreadable-key', key, message: `key record ${key} is not a key record Convoy wrote` });
  }
  for (const volumeName of volumes) {
    try {
      const volume = await access(volumeName);
      await withStoreLock(ctx, p.store, volumeName, 'verify', p.owner, () => new VolumeVerifier(p, volume, volumeName, sample, report, ctx.concurrency).run());
      report.volumes += 1;
    } catch (err) {
      const error = toConvoyError(err);
      // One volume's problem is reported and the others are verified.
      if (error.code === 'KEY_REQUIRED') report.problems.push({ kind: 'key-required', key: volumeConfigKey(volumeName), volumeName, message: error.message });
      else if (error.code === 'CORRUPT')
        report.problems.push({ kind: 'unreadable-record', key: volumeConfigKey(volumeName), volumeName, message: error.message });
      // A delete or prune holds the volume: a whole-store verify goes on and says it could not check it.
      else if (error.code === 'LOCKED' && !p.volumeName) report.notChecked.push({ key: locksDir(volumeName), volumeName, message: error.message });
      else throw err;
    }
  }
  report.ok = report.problems.length === 0 && report.notChecked.length === 0;
  return report;
}

class VolumeVerifier {
  private readonly store: ObjectStore;
  /** Keys of blocks and archives found missing or corrupt: the backups using them are damaged. */
  private readonly bad = new Set<string>();
  private readonly damaged = new Set<string>();

  constructor(
    private readonly p: VerifyParams,
    private readonly volume: VolumeAccess,
    private readonly volumeName: string,
    private readonly sample: number,
    private readonly report: VerifyReport,
    private readonly concurrency: number,
  ) {
    this.store = volume.store;
  }

  async run(): Promise<void> {
    if (!(await loadVolumeConfig(this.store, this.volumeName))) {
      throw new ConvoyError('NOT_FOUND', `volume ${this.volumeName} has no backups in ${this.store.url}`, { details: { volume: this.volumeName } });
    }
    await this.checkLocks();
    const names = this.p.backupName !== undefined ? [this.p.backupName] : await listBackupNames(this.store, this.volumeName);
    const references: References = new Map();
    const inPacks = new Set<string>();
    const archives: Array<{ key: string; backup: BackupConfig }> = [];
    await this.eachRecord(names, true, (backup) => {
      this.report.backups += 1;
      if (backupMode(backup) === 'single-file') archives.push({ key: archiveKeyOf(backup), backup });
      if (layoutOf(backup) === 'packs') for (const m of backup.Blocks) inPacks.add(m.BlockChecksum);
      else for (const m of backup.Blocks) if (!references.has(m.BlockChecksum)) references.set(m.BlockChecksum, backupCompression(backup));
      return [];
    });
    this.report.blocksReferenced += references.size + inPacks.size;
    const present = references.size > 0 ? await this.findMissingBlocks(references) : [];
    await this.checkArchives(archives);
    if (this.p.deep) await this.readBlocks(present, references);
    if (inPacks.size > 0) await this.checkPacks(inPacks);
    if (this.bad.size > 0) await this.markDamaged(names);
    this.listDamaged();
  }

  /**
   * Reads every record; `onRecord` returns the keys the backup depends on. An unreadable record
   * is a damaged backup, reported on the first pass only.
   */
  private async eachRecord(names: string[], firstPass: boolean, onRecord: (backup: BackupConfig) => string[]): Promise<void> {
    await runWorkers(names, 8, async (name) => {
      const key = backupConfigKey(this.volumeName, name);
      let needs: string[];
      try {
        const backup = await loadBackupConfig(this.store, this.volumeName, name);
        if (!backup) {
          if (this.p.backupName !== undefined)
            throw new ConvoyError('NOT_FOUND', `backup ${name} of volume ${this.volumeName} does not exist in ${this.store.url}`);
          return; // deleted since the listing
        }
        // A record that parses may still name an archive outside its volume: CORRUPT as well.
        needs = onRecord(backup);
      } catch (err) {
        const error = toConvoyError(err);
        if (error.code !== 'CORRUPT') throw error;
        if (firstPass) this.problem('unreadable-record', key, error.message);
        this.damaged.add(name);
        return;
      }
      if (needs.some((k) => this.bad.has(k))) this.damaged.add(name);
    });
  }

  /** Walks the block listing (lexical = checksum order) beside the sorted references. */
  private async findMissingBlocks(references: References): Promise<StoredBlock[]> {
    const wanted = [...references.keys()].sort();
    const present: StoredBlock[] = [];
    let i = 0;
    for await (const { key, size } of this.store.list(blocksDir(this.volumeName), { signal: this.p.signal })) {
      const checksum = checksumFromBlockKey(key);
      if (!checksum) continue;
      while (i < wanted.length && wanted[i]! < checksum) this.missingBlock(wanted[i++]!);
      if (wanted[i] === checksum) {
        i += 1;
        if (size === 0) this.corruptBlock(checksum, 'the object is empty');
        else present.push({ checksum, size });
      }
    }
    while (i < wanted.length) this.missingBlock(wanted[i++]!);
    return present;
  }

  private async readBlocks(present: StoredBlock[], references: References): Promise<void> {
    const chosen = this.sample >= 1 ? present : present.filter(() => Math.random() < this.sample);
    if (chosen.length === 0 && present.length > 0) chosen.push(present[Math.floor(Math.random() * present.length)]!);
    const totalBytes = chosen.reduce((sum, b) => sum + b.size, 0);
    let doneBytes = 0;
    await runWorkers(
      chosen,
      this.concurrency,
      async ({ checksum, size }) => {
        try {
          const stored = await this.store.get(blockKey(this.volumeName, checksum), { signal: this.p.signal });
          if (!stored) return this.missingBlock(checksum);
          const data = await decompressBlock(references.get(checksum)!, stored, BLOCK_SIZE);
          const actual = this.volume.nameBlock(data);
          if (actual !== checksum) this.corruptBlock(checksum, `its ${data.length} bytes hash to ${actual}`);
        } catch (err) {
          const error = toConvoyError(err);
          if (error.code !== 'CORRUPT') throw error;
          this.corruptBlock(checksum, error.message);
        } finally {
          doneBytes += size;
          this.report.blocksRead += 1;
          this.p.onProgress?.({ phase: `verify ${this.volumeName}`, doneBytes, totalBytes });
        }
      },
      this.p.signal,
    );
  }

  /** The pack layout's blocks (pack-verify.ts); a damaged block is marked by its v0.5 key, as markDamaged looks for. */
  private async checkPacks(names: Set<string>): Promise<void> {
    await verifyPacks({
      store: this.store,
      volumeName: this.volumeName,
      names,
      deep: this.p.deep === true,
      sample: this.sample,
      cipher: this.volume.cipher,
      nameBlock: this.volume.nameBlock,
      concurrency: this.concurrency,
      problem: (kind, key, message, blocks) => {
        this.problem(kind, key, message);
        for (const name of blocks) this.bad.add(blockKey(this.volumeName, name));
      },
      onBlockRead: () => (this.report.blocksRead += 1),
      onProgress: this.p.onProgress,
      signal: this.p.signal,
    });
  }

  private async checkArchives(archives: Array<{ key: string; backup: BackupConfig }>): Promise<void> {
    await runWorkers(
      archives,
      this.concurrency,
      async ({ key, backup }) => {
        if (!(await this.store.head(key, { signal: this.p.signal }))) {
          this.problem('missing-archive', key, `archive ${key} is missing`);
          this.bad.add(key);
          return;
        }
        if (!this.p.deep) return;
        try {
          // Every check a restore makes: length and SHA-256 against the record, then the compression stream.
          await checkArchive(this.store, backup, this.p.signal);
          this.report.archivesRead += 1;
        } catch (err) {
          const error = toConvoyError(err, 'CORRUPT');
          if (error.code !== 'CORRUPT') throw error;
          this.problem('corrupt-archive', key, `archive ${key} is unreadable: ${error.message}`);
          this.bad.add(key);
        }
      },
      this.p.signal,
    );
  }

  /** Finds the backups that use a bad object: a second pass over the records, only when something is bad. */
  private async markDamaged(names: string[]): Promise<void> {
    await this.eachRecord(names, false, (backup) =>
      backupMode(backup) === 'single-file' ? [archiveKeyOf(backup)] : backup.Blocks.map((m) => blockKey(this.volumeName, m.BlockChecksum)),
    );
  }

  private listDamaged(): void {
    for (const name of [...this.damaged].sort()) this.report.damagedBackups.push(formatBackupUrl(this.p.destUrl, name, this.volumeName));
  }

  private async checkLocks(): Promise<void> {
    for await (const { key } of this.store.list(locksDir(this.volumeName))) {
      if (!key.endsWith('.lck')) continue;
      const data = await this.store.get(key);
      if (data && parseLock(data, key).Unreadable)
        this.problem('unreadable-lock', key, `lock ${key} does not parse; it blocks deletes and prunes until it expires`);
    }
  }

  private missingBlock(checksum: string): void {
    const key = blockKey(this.volumeName, checksum);
    this.problem('missing-block', key, `block ${key} is missing`);
    this.bad.add(key);
  }

  private corruptBlock(checksum: string, why: string): void {
    const key = blockKey(this.volumeName, checksum);
    this.problem('corrupt-block', key, `block ${key} is corrupt: ${why}`);
    this.bad.add(key);
  }

  private problem(kind: VerifyProblemKind, key: string, message: string): void {
    this.report.problems.push({ kind, key, volumeName: this.volumeName, message });
  }
}
