/**
 * The model as the manager and the API see it. Drivers return these records; the manager adds
 * the driver name and keeps the host-wide indexes. Times are ISO-8601 strings (UTC).
 */
import type { ConsistencyReport } from './consistency.js';
export type DriverInfo = Record<string, string | number | boolean | null>;

export interface SnapshotRecord {
  name: string;
  volumeName: string;
  createdAt: string;
  /** Driver-specific facts (device id, file path, ...), shown by inspect. */
  driverInfo: DriverInfo;
  /** Only on the answer to a consistent create: the hooks run around it (manager/consistency.ts). */
  consistency?: ConsistencyReport;
}

export interface VolumeRecord {
  name: string;
  /** Filled in by the manager; drivers may leave it empty. */
  driver: string;
  /** Bytes; 0 when the driver has no fixed size (a directory volume). */
  size: number;
  createdAt: string;
  /** Present while the volume is mounted. */
  mountpoint?: string;
  snapshots: SnapshotRecord[];
  driverInfo: DriverInfo;
  /** Only on standby volumes (`convoy create --standby`): the backup it holds; added by the manager. */
  standby?: StandbyState;
}

/**
 * What a standby volume holds, persisted by the manager (manager/standby-records.ts) beside the
 * driver's own state. A standby refuses mounts, writes, snapshots and backups until activated.
 */
export interface StandbyState {
  /** The store the standby follows, as the user wrote it. */
  storeUrl: string;
  /** S3 endpoint of that store, when one was given. */
  endpoint?: string;
  /** The volume the followed backups were taken of (a sync refuses backups of any other). */
  sourceVolume: string;
  /** The backup whose content the volume holds (URL, name, when it was taken). */
  backupUrl: string;
  backupName: string;
  backupCreatedAt: string;
  /** When the volume last reached `backupName`. */
  syncedAt: string;
  /**
   * The sync journal: written (fsync'd) before a sync writes its first block and cleared when
   * it is done. While present the volume may mix the blocks of the backups in `from` and of
   * `to`, so it refuses mounts and activation; the next sync rewrites every block where any of
   * them differs from its own target. `create --standby` writes one with an empty `from` before
   * its restore; start-up settles it (volume-service manager/standby-startup.ts).
   */
  syncing?: { from: string[]; to: string; startedAt: string };
  /**
   * In words, for inspect, Docker and CSI: `holds <backup>`, `syncing to <backup>`, or
   * `interrupted sync to <backup>, run standby sync`. Derived by the manager on every read, never stored.
   */
  status?: string;
}

/** How a standby sync went: `up to date` (already at the target) writes nothing. */
export type StandbySyncMethod = 'block-diff' | 'full rewrite' | 'full re-extract' | 'up to date';

/** What the engine reports of a standby sync (backup/standby-sync.ts). */
export interface StandbySyncReport {
  method: StandbySyncMethod;
  /** Why a delta-block sync could not diff (a held backup's record is gone). */
  reason?: string;
  /** The target backup: what the standby now holds. */
  backupName: string;
  backupCreatedAt: string;
  /** Blocks in the target's map, and how many were written with data or with zeros (delta-block). */
  blocksCompared: number;
  blocksWritten: number;
  blocksZeroed: number;
  /** Bytes written into the volume (data and zeros; the archive's size for a full re-extract). */
  bytesWritten: number;
}

/** What `convoy standby sync` asks for: one backup URL, or the newest backup (the default). */
export interface StandbySyncRequest {
  backupUrl?: string;
  latest?: boolean;
  /** Aborted when the caller gives up: the sync stops with its journal set (the next sync completes it). */
  signal?: AbortSignal;
}

/** What `standby sync` answers: how the volume was brought to the backup, and its standby state now. */
export interface StandbySyncResult extends StandbySyncReport {
  volumeName: string;
  /** The backup the standby held before. */
  previousBackup: string;
  standby: StandbyState;
}

/** A byte range of a volume: what a delta-block driver reports as changed or mapped. */
export interface Extent {
  offset: number;
  length: number;
}

/** What a backup store keeps about one backup (see backup/records.ts for the stored JSON). */
export interface BackupSummary {
  name: string;
  url: string;
  volumeName: string;
  volumeSize: number;
  volumeCreatedAt: string;
  driver: string;
  snapshotName: string;
  snapshotCreatedAt: string;
  createdAt: string;
  compression: CompressionMethod;
  mode: BackupMode;
  /** Number of blocks in the block map (delta-block mode). */
  blockCount?: number;
  /** Bytes uploaded by this backup (new blocks or the archive), compressed. */
  uploadedBytes?: number;
  /**
   * Blocks this backup stored because the store lacked them (delta-block mode, either layout).
   * Said by the backup that made them; not kept in the record, so inspect and list omit it.
   */
  uploadedBlocks?: number;
  /** The store key an encrypted backup is sealed with (backup create and inspect say it). */
  encryptionKeyId?: string;
}

/**
 * Every compression method a backup may use: the one list the engine, the manager, the API
 * schema and the CLI's choices read, so a new method is one entry here (plus its codecs, which
 * the compiler then demands).
 */
export const COMPRESSION_METHODS = ['lz4', 'zstd', 'gzip', 'none'] as const;
export type CompressionMethod = (typeof COMPRESSION_METHODS)[number];

export function isCompressionMethod(method: unknown): method is CompressionMethod {
  return typeof method === 'string' && (COMPRESSION_METHODS as readonly string[]).includes(method);
}
export type BackupMode = 'delta-block' | 'single-file';

/**
 * How a volume's delta-block backups lay their blocks out in the store (docs/store-format.md):
 * `packs` (the default for new volumes) appends them into pack objects of a few MiB with an
 * index; `convoy-v0.5` stores one object per block, the layout Go Convoy v0.5 reads.
 */
export const STORE_LAYOUTS = ['packs', 'convoy-v0.5'] as const;
export type StoreLayout = (typeof STORE_LAYOUTS)[number];

export function isStoreLayout(layout: unknown): layout is StoreLayout {
  return typeof layout === 'string' && (STORE_LAYOUTS as readonly string[]).includes(layout);
}

/** Long operations report progress through this callback; the CLI turns it into a bar. */
export interface Progress {
  phase: string;
  doneBytes: number;
  totalBytes: number;
}
export type ProgressListener = (p: Progress) => void;
