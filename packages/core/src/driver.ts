import type { Readable } from 'node:stream';
import type { CommandRunner } from './exec.js';
import type { Extent, SnapshotRecord, VolumeRecord } from './model.js';

/** Options as strings, as Docker and Convoy pass them (`-o size=1g`, `--driver-opts dm.fs=xfs`). */
export type Options = Record<string, string>;

export interface CreateVolumeRequest {
  name: string;
  /** Bytes; undefined means the driver's default. */
  size?: number;
  /** Driver-specific options from `convoy create` or `docker volume create -o`. */
  options: Options;
}

export interface DeleteVolumeRequest {
  name: string;
  /** Forget the volume but keep its data (Docker's `volume rm` sends this). */
  referenceOnly: boolean;
}

/**
 * Every driver has volume operations. Snapshot and backup capabilities are optional facets:
 * when one is missing the manager answers NOT_SUPPORTED naming the driver.
 *
 * Contract for implementers (checked by the compliance suite in `@convoy/core/testing`):
 * - names reaching a driver are already validated by the manager;
 * - create of an existing name, delete or mount of a missing one throw ConvoyError
 *   (ALREADY_EXISTS / NOT_FOUND); a user mountpoint the driver cannot honour is INVALID_ARGUMENT;
 * - `getVolume` returns undefined for a missing volume and never throws for that;
 * - deleting a mounted volume is BUSY; unmounting a volume that is not mounted succeeds;
 * - snapshots: a second snapshot of one name is ALREADY_EXISTS, a snapshot of a missing volume
 *   or a delete of a missing snapshot is NOT_FOUND, `getSnapshot` answers undefined;
 * - the manager serialises mutations per volume, so a driver need not lock against itself
 *   for one volume, but must keep its own state consistent across volumes and crashes.
 */
export interface VolumeDriver {
  readonly name: string;
  /** Facts for `convoy info` (pool usage, paths, defaults). */
  info(): Promise<Record<string, unknown>>;
  createVolume(req: CreateVolumeRequest): Promise<VolumeRecord>;
  deleteVolume(req: DeleteVolumeRequest): Promise<void>;
  /** Returns the mountpoint. Mounting an already mounted volume returns the same mountpoint. */
  mountVolume(name: string, opts: { mountpoint?: string }): Promise<string>;
  umountVolume(name: string): Promise<void>;
  getVolume(name: string): Promise<VolumeRecord | undefined>;
  listVolumes(): Promise<VolumeRecord[]>;
  /**
   * Optional: grows a volume to `size` bytes, its filesystem included (now if mounted, else
   * before it is next mounted), keeping every byte. Grow only: a smaller size is INVALID_ARGUMENT
   * (the manager refuses it before calling), the same size changes nothing. Without it the
   * manager answers NOT_SUPPORTED naming the driver.
   */
  resizeVolume?(name: string, size: number): Promise<VolumeRecord>;
  /**
   * Options `createVolume` reads (`convoy create --opt`, `docker volume create -o`). The manager
   * refuses every other key before the driver is called; a driver that declares none takes none.
   */
  readonly volumeOptions?: readonly OptionSpec[];
  /**
   * What front ends must know of the driver's volumes beyond its operations (CSI topology, the
   * Block access type, size rounding), declared here as unstorage drivers declare `flags`.
   * Absent traits take the defaults in driver-traits.ts (a shared, sizeless directory volume).
   */
  readonly traits?: DriverTraits;
  /** Optional facet: point-in-time snapshots. */
  readonly snapshots?: SnapshotOps;
  /** Optional facet: backup and restore, in one of the two modes. */
  readonly backup?: DeltaBlockBackupOps | SingleFileBackupOps;
  /** Optional facet: which blocks of a snapshot are mapped or changed (CSI SnapshotMetadata). */
  readonly changedBlocks?: ChangedBlockOps;
  /** Releases resources (open devices, timers). The daemon calls it on shutdown. */
  close?(): Promise<void>;
}

/** A driver's declared traits; every member is optional and defaults as DEFAULT_DRIVER_TRAITS says. */
export interface DriverTraits {
  /** Volumes live on this node's disks (thin devices of a local pool), so they carry topology. */
  readonly nodeLocal?: boolean;
  /** Volumes are block devices (`driverInfo.Device`), so they can be handed over raw. */
  readonly blockDevice?: boolean;
  /** Sizes must be whole multiples of this many bytes (a thin pool's block). */
  readonly sizeUnit?: number;
  /** `createVolume`'s `size` is enforced; false means it is recorded and nothing holds a volume to it. */
  readonly honoursSize?: boolean;
}

export interface SnapshotOps {
  /** Crash-consistent; the driver may freeze the filesystem while it cuts the snapshot. */
  createSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord>;
  deleteSnapshot(volumeName: string, snapshotName: string): Promise<void>;
  getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined>;
  listSnapshots(volumeName: string): Promise<SnapshotRecord[]>;
}

/**
 * Delta-block mode, for block devices. The driver lists extents and reads bytes; the core
 * engine cuts blocks, hashes, compresses, deduplicates, uploads and writes the records.
 */
export interface DeltaBlockBackupOps {
  readonly mode: 'delta-block';
  /**
   * Bytes per block the driver reports changes in (a thin pool's 2 MiB chunks); a volume's
   * backup block size must divide it.
   */
  readonly blockSize: number;
  /**
   * The local snapshot of this name, or undefined. The engine diffs against the last backup's
   * snapshot only when this one was created at the time that backup recorded: a snapshot of the
   * same name from another host, or one deleted and cut again, is not the backup's base.
   */
  getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined>;
  /**
   * Extents of `snapshotName` that may differ from `baseSnapshotName`, or every mapped extent
   * when no base is given. Offsets and lengths are multiples of `blockSize`.
   */
  compareSnapshots(volumeName: string, snapshotName: string, baseSnapshotName?: string): Promise<Extent[]>;
  openSnapshot(volumeName: string, snapshotName: string): Promise<BlockReader>;
  /**
   * Creates the new volume `req.name` of `size` bytes for a restore and returns a writer into it.
   * The volume must read as zeros wherever nothing is written (a fresh thin device, a sparse
   * file): restores are sparse and never write blocks of zeros. It is not visible to users
   * until `commit` resolves; `abort` removes every trace.
   */
  createRestoreTarget(req: CreateVolumeRequest, size: number): Promise<RestoreTarget>;
  /**
   * Optional, for standby volumes (`convoy standby sync`): a writer into the existing volume
   * `volumeName`, so a sync writes only the blocks that differ between the backup the volume
   * holds and the one it moves to. The manager calls it only for an unmounted standby volume,
   * holding every lock of the volume. Without it a driver's standby volumes cannot be synced
   * (NOT_SUPPORTED naming the driver).
   */
  openVolumeWriter?(volumeName: string): Promise<VolumeWriter>;
}

/**
 * Writes into an existing volume (a standby being synced). Contract for implementers:
 * - `write` and `zero` may run concurrently at distinct offsets; offsets and lengths are whole
 *   backup blocks (the last one may end at `size`), never past `size`;
 * - `zero` makes the range read as zeros (a thin device may discard it instead of writing);
 * - `close` makes every write durable (fsync) before it resolves, and releases the device; after
 *   a crash before `close` resolves, any subset of the writes may have landed (the manager's
 *   journal, not the driver, makes a sync crash-safe).
 */
export interface VolumeWriter {
  /** The volume's size in bytes. */
  readonly size: number;
  write(buf: Buffer, offset: number, length: number): Promise<void>;
  zero(offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Changed-block metadata for backup tools (Kubernetes' CSI SnapshotMetadata service): which
 * blocks of a snapshot hold data, and which differ between two snapshots of one volume, at the
 * driver's own allocation granularity (a thin pool block), not widened to the backup block.
 *
 * Contract for implementers:
 * - extents are sorted, non-overlapping, merged where adjacent, multiples of `blockSize` in
 *   offset and length (the last one may end at the snapshot's size), and never past that size;
 * - a block that may differ is reported (never leave one out: a backup tool would lose it); a
 *   block unmapped in the target but mapped in the base differs (it now reads as zeros);
 * - the answer reflects the snapshots as they were cut, read consistently (devmapper reads a
 *   held metadata snapshot, as the backup path does); a missing snapshot is NOT_FOUND;
 * - the manager serialises these reads with deletes of the volume and its snapshots.
 */
export interface ChangedBlockOps {
  /** Bytes per block the extents are counted in. */
  readonly blockSize: number;
  /** Every block of the snapshot that holds data (a fresh volume lists only what was written). */
  allocatedExtents(volumeName: string, snapshotName: string): Promise<SnapshotExtents>;
  /** Every block of `targetSnapshotName` that may differ from `baseSnapshotName` (same volume). */
  changedExtents(volumeName: string, baseSnapshotName: string, targetSnapshotName: string): Promise<SnapshotExtents>;
}

export interface SnapshotExtents {
  /** Size of the (target) snapshot in bytes: the volume's size when it was cut. */
  size: number;
  extents: Extent[];
}

export interface BlockReader {
  /** Volume size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` into `buf` (starting at buf[0]). */
  read(buf: Buffer, offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

export interface RestoreTarget {
  /** Writes `length` bytes of `buf` at `offset`; calls may run concurrently at distinct offsets. */
  write(buf: Buffer, offset: number, length: number): Promise<void>;
  /** Makes everything written durable and the volume visible. */
  commit(): Promise<VolumeRecord>;
  abort(): Promise<void>;
}

/**
 * Single-file mode, for directory volumes. The driver streams a plain (uncompressed) tar of a
 * snapshot; the engine compresses and stores it. On restore the engine hands the driver a safe
 * extractor (see archive/extract-tar.ts) that refuses entries escaping the target directory.
 */
export interface SingleFileBackupOps {
  readonly mode: 'single-file';
  exportSnapshot(volumeName: string, snapshotName: string): Promise<Readable>;
  /**
   * About how many bytes `exportSnapshot` will stream, from a fast scan (metadata only): what a
   * backup's percentage and ETA are measured against. Without it progress shows bytes only.
   */
  estimateExportSize?(volumeName: string, snapshotName: string): Promise<number>;
  /**
   * Creates the volume `req.name` from a tar stream. Implementations extract with
   * `extractTarSafely` from `@convoy/core` into a temporary directory and publish it at the end.
   */
  importVolume(req: CreateVolumeRequest, tar: Readable): Promise<VolumeRecord>;
  /**
   * Optional, for standby volumes (`convoy standby sync`): replaces the whole content of the
   * existing, unmounted volume `volumeName` with the tar stream, crash-safely: extract beside the
   * volume, flush, then swap it in, so a crash leaves the old content, the new one, or (between
   * the two renames of a swap) a missing data directory that the next sync fills again. Without
   * it a driver's standby volumes cannot be synced (NOT_SUPPORTED naming the driver).
   */
  replaceVolume?(volumeName: string, tar: Readable): Promise<VolumeRecord>;
}

/** What the daemon hands a driver factory. */
export interface DriverContext {
  /** `<daemon root>/<driver name>`: the driver's own state directory (created by the daemon). */
  root: string;
  /**
   * Every `--driver-opts` pair; a driver reads only its own prefixed keys (`vfs.*`, `dm.*`) and
   * refuses unknown ones with `checkDeclaredOptions(ownOptions(options, specs), specs, ...)`.
   */
  options: Options;
  /** The shared runner for external commands (timeouts, typed errors, logging). */
  run: CommandRunner;
  log: Logger;
}

/** A driver package's default export. */
export interface DriverDefinition {
  name: string;
  description: string;
  /**
   * `--driver-opts` the driver reads, all under one prefix (`vfs.`): listed by `convoy daemon
   * --help` and `convoy info`, and every key under the prefix that is not here is refused.
   */
  options: OptionSpec[];
  create(ctx: DriverContext): Promise<VolumeDriver>;
}

export interface OptionSpec {
  key: string;
  description: string;
  required?: boolean;
  default?: string;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function defineDriver(def: DriverDefinition): DriverDefinition {
  return def;
}
