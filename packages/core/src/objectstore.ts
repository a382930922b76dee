import type { Readable } from 'node:stream';
import { ConvoyError } from './errors.js';

/**
 * A backup store back-end: a flat key space of objects under the store URL. Keys are relative
 * paths with `/` separators (`convoy-objectstore/volumes/...`). Implementations: objectstore-fs
 * (`vfs:///abs/path`), objectstore-s3 (`s3://bucket@region/prefix`).
 *
 * Contract (checked by `objectStoreComplianceSuite` in `@convoy/core/testing`):
 * - `put` is atomic: a reader sees the old object, the new one, or none, never a part;
 * - `list` is recursive under a prefix (no delimiter walk) and pages internally, so it never
 *   stops at 1000 keys; `listDir` lists one level;
 * - `delete` removes exactly the keys given (never by prefix) and ignores missing ones;
 * - a missing object is `undefined` from `get`/`head`, not an error;
 * - failures are ConvoyError STORE_ERROR (or NOT_FOUND for a missing bucket/path at open);
 * - every read, listing, write and delete takes a last `opts: { signal }` (StoreCallOptions). A
 *   call whose signal has fired, before or while it runs, rejects promptly with `cancelledError`
 *   (ConvoyError CANCELLED, or the signal's reason when that is a ConvoyError) and leaves the
 *   store as it was: a request in flight is aborted, a body being read is destroyed, a listing
 *   stops at its next key. A store that can hang (S3) must honour it in flight; one that cannot
 *   (a directory) checks it before each request and between reads and entries.
 */
export interface ObjectStore {
  /** The normalised store URL, e.g. `vfs:///backups` or `s3://bucket@us-east-1/prefix`. */
  readonly url: string;
  get(key: string, opts?: StoreCallOptions): Promise<Buffer | undefined>;
  /** The stream fails with the cancellation too when the signal fires while it is being read. */
  getStream(key: string, opts?: StoreCallOptions): Promise<Readable | undefined>;
  /**
   * Bytes `offset` to `offset + length` of an object, with one request (a ranged GET, one read):
   * fewer when the object ends sooner (none past its end), undefined when it is missing. Pack
   * restores read blocks this way. `offset` ≥ 0 and `length` ≥ 1, safe integers.
   *
   * `into` (at least `length` bytes), when given, is a buffer the caller reuses from read to
   * read: a store may read the bytes into it and return a view of it instead of allocating
   * (the directory store does), so a restore does not leave a range's worth of garbage per read.
   * The caller uses the result only until it reuses `into`.
   */
  getRange(key: string, offset: number, length: number, into?: Buffer, opts?: StoreCallOptions): Promise<Buffer | undefined>;
  /** Atomic write. Large streams may be uploaded in parts. A cancelled write leaves no object. */
  put(key: string, body: Buffer | Readable, opts?: StoreCallOptions): Promise<void>;
  head(key: string, opts?: StoreCallOptions): Promise<ObjectInfo | undefined>;
  /** Every key under `prefix`, recursively, in lexical order. */
  list(prefix: string, opts?: StoreCallOptions): AsyncIterable<ObjectInfo>;
  /** Names (not keys) of the objects and sub-directories directly under `prefix` (a dir ending in `/`). */
  listDir(prefix: string, opts?: StoreCallOptions): Promise<{ files: string[]; dirs: string[] }>;
  /** A cancelled delete may have removed some of the keys (each removal is whole), never others. */
  delete(keys: string[], opts?: StoreCallOptions): Promise<void>;
  /**
   * Removes what interrupted writes left behind (a killed process's temp files, unfinished
   * uploads) last modified before `olderThan`, and returns a name for each. Optional: a store
   * whose writes leave nothing behind has nothing to do. `prune` calls it.
   */
  removeStaleWrites?(olderThan: Date): Promise<string[]>;
  /** Counts of requests made so far, by kind, so tests and benchmarks can check request budgets. */
  readonly stats: ObjectStoreStats;
  close(): Promise<void>;
}

/** The options every store call takes last (see the contract above). */
export interface StoreCallOptions {
  /** Cancels the call: it rejects with `cancelledError` and changes nothing more. */
  signal?: AbortSignal | undefined;
}

/** Checks getRange's numbers and buffer (one rule for every store): INVALID_ARGUMENT naming the bad one. */
export function validateRange(offset: number, length: number, into?: Buffer): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ConvoyError('INVALID_ARGUMENT', `a ranged read needs an offset ≥ 0, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 1) throw new ConvoyError('INVALID_ARGUMENT', `a ranged read needs a length ≥ 1, got ${length}`);
  if (into && into.length < length)
    throw new ConvoyError('INVALID_ARGUMENT', `a ranged read of ${length} bytes needs a buffer that large, got one of ${into.length}`);
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** Server-side modification time: lock ages are measured with it, not the local clock. */
  mtime: Date;
}

export interface ObjectStoreStats {
  get: number;
  put: number;
  head: number;
  list: number;
  delete: number;
}

export interface ObjectStoreOptions {
  /** Custom endpoint for S3-compatible servers (`--s3-endpoint`). */
  endpoint?: string;
  /**
   * The store's own settings, `<scheme>.<setting>` (e.g. `s3.plainPayload`), documented by each
   * store package. The daemon passes only the keys of the store's scheme (`--store-opts`).
   */
  options?: Record<string, string>;
}

/** An object-store package's default export. */
export interface ObjectStoreDefinition {
  /** URL scheme without the colon: `vfs`, `s3`. */
  scheme: string;
  description: string;
  open(url: URL, opts: ObjectStoreOptions): Promise<ObjectStore>;
  /**
   * Checks settings as `open` would take them in `opts.options`, without opening anything; throws
   * INVALID_ARGUMENT naming an unknown key or a bad value. The daemon calls it at start.
   */
  checkOptions(options: Record<string, string>): void;
  /**
   * Optional: checks a user's custom endpoint (an S3-compatible server) and returns it
   * normalised; throws INVALID_ARGUMENT naming what is wrong. A store without it takes no
   * endpoint, and the daemon refuses one rather than ignore it.
   */
  checkEndpoint?(endpoint: string): string;
}

export function defineObjectStore(def: ObjectStoreDefinition): ObjectStoreDefinition {
  return def;
}
