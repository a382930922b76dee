import type { ObjectStore } from '@convoy/core';
import { LRUCache } from 'lru-cache';
import { backupConfigKey } from './layout.js';
import type { BackupConfig } from './records.js';
import { loadBackupConfig } from './store-records.js';

/** Default bound: block-map entries held across all cached records (about 150 bytes each). */
export const DEFAULT_RECORD_CACHE_BLOCKS = 200_000;

/**
 * Parsed backup records the daemon read before, so listing a store again or starting the next
 * incremental does not fetch and parse every record (a backup of a 100 GiB volume is a 51,200
 * block map, megabytes of JSON) each time.
 *
 * Only backup records are cached: each is written once under a name never used again, so a cached
 * one can be out of date only by having been deleted. Callers therefore establish that a record
 * still exists before trusting the cache — by a listing they just made, or by a HEAD (`confirm`),
 * which costs a few bytes where the record costs megabytes. volume.cfg is rewritten by every
 * backup and delete, on any host, so it is always read fresh. Deletes and block sweeps read
 * records fresh too: they decide what is removed.
 *
 * Bounded by block-map entries rather than records, since one record may be a thousand times
 * another; the least recently used go first. Entries are shared: callers must not change them.
 */
export class BackupRecordCache {
  private readonly records: LRUCache<string, BackupConfig>;

  constructor(maxBlocks = DEFAULT_RECORD_CACHE_BLOCKS) {
    this.records = new LRUCache({ maxSize: maxBlocks, sizeCalculation: (record) => record.Blocks.length + 1 });
  }

  /**
   * The record, or undefined when it does not exist. `existence: 'listed'` means the caller just
   * saw the record's name in a listing; `'unknown'` makes a cached record answer only after a HEAD
   * shows it is still there (another host may have deleted it). `signal` cancels the reads.
   */
  async load(
    store: ObjectStore,
    volumeName: string,
    backupName: string,
    existence: 'listed' | 'unknown',
    signal?: AbortSignal,
  ): Promise<BackupConfig | undefined> {
    const key = cacheKey(store, volumeName, backupName);
    const cached = this.records.get(key);
    if (cached && (existence === 'listed' || (await store.head(backupConfigKey(volumeName, backupName), { signal })))) return cached;
    this.records.delete(key);
    const fresh = await loadBackupConfig(store, volumeName, backupName, signal);
    if (fresh) this.records.set(key, fresh);
    return fresh;
  }

  /** Drops a record this host deletes, so nothing here answers for it afterwards. */
  forget(store: ObjectStore, volumeName: string, backupName: string): void {
    this.records.delete(cacheKey(store, volumeName, backupName));
  }

  /** Records and block-map entries held, for tests of the bound. */
  get usage(): { records: number; blocks: number } {
    return { records: this.records.size, blocks: this.records.calculatedSize };
  }
}

function cacheKey(store: ObjectStore, volumeName: string, backupName: string): string {
  return `${store.url}\n${backupConfigKey(volumeName, backupName)}`;
}
