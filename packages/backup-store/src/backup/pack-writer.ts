import { randomBytes } from 'node:crypto';
import type { CompressionMethod, ObjectStore } from '@convoy/core';
import { BLOCK_SIZE, packKey } from './layout.js';
import type { BlobCipher } from './pack-cipher.js';
import { encodePackTail, HEADER_BYTES_PER_BLOB, HEADER_FIXED_BYTES, type PackBlob } from './pack-format.js';

/** A pack as an index object lists it. */
export interface WrittenPack {
  Name: string;
  Size: number;
  Blobs: PackBlob[];
}

export interface PackWriterOptions {
  store: ObjectStore;
  volumeName: string;
  /** A pack is closed once its blobs reach this many bytes. */
  targetSize: number;
  /** Packs uploading at once; the writer waits for one to finish before closing another. */
  maxUploads: number;
  cipher?: BlobCipher | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Packs uploading at once by default: one keeps the link busy while the next pack fills. A
 * second one held another whole pack (and, over TLS, its ciphertext) for no measured gain, even
 * with 20 ms of latency each way; it was what kept a backup's peak RSS above 160 MiB.
 */
export const DEFAULT_PACK_UPLOADS = 1;

/**
 * Appends blobs into pack objects and uploads each when it reaches the target size. Adds are
 * serialised (a blob is copied into the open pack in order), and each pack is one buffer,
 * reused for the next one once its upload is done. Memory is therefore bounded, whatever the
 * volume's size, by (maxUploads + 1) × (targetSize + one block + header room): 38 MiB at the
 * defaults (16 MiB packs, 1 upload). See docs/store-format.md, "Memory".
 *
 * Nothing names a pack until an index object does (written by the caller after `finish`), so a
 * pack uploaded by a run that then died is garbage that prune removes once past its grace.
 */
export class PackWriter {
  readonly written: WrittenPack[] = [];
  private open: { buffer: Buffer; length: number; blobs: PackBlob[] } | undefined;
  private readonly spare: Buffer[] = [];
  private readonly uploads = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly capacity: number;

  constructor(private readonly opts: PackWriterOptions) {
    // A block compressed or sealed may grow a little: one block and a megabyte cover it and the header.
    this.capacity = opts.targetSize + BLOCK_SIZE + 1024 * 1024;
  }

  /**
   * Appends one stored block (compressed; sealed here when the volume is encrypted). Resolves to
   * the bytes it takes in the pack, once they are copied there: `stored` may be reused then.
   */
  add(name: string, stored: Buffer, rawLength: number, compression: CompressionMethod): Promise<number> {
    return this.enqueue(() => this.append(name, this.opts.cipher ? this.opts.cipher.seal(name, stored) : stored, rawLength, compression));
  }

  /** Appends a blob as another pack holds it (sealed already, when it is): what a repack moves. */
  move(blob: PackBlob, bytes: Buffer): Promise<number> {
    return this.enqueue(() => this.append(blob.Name, bytes, blob.RawLength, blob.Compression));
  }

  private enqueue(step: () => Promise<number>): Promise<number> {
    const added = this.queue.then(step);
    this.queue = added.catch(() => undefined);
    return added;
  }

  /** Closes the last pack and waits for every upload; the packs written, for the index object. */
  async finish(): Promise<WrittenPack[]> {
    await this.queue;
    if (this.open && this.open.blobs.length > 0) await this.close();
    await this.settle();
    if (this.failure) throw this.failure.error;
    return this.written;
  }

  /** After a failure elsewhere: waits for uploads in flight, so nothing runs behind the caller. */
  async abandon(): Promise<void> {
    await this.queue;
    this.open = undefined;
    await this.settle();
  }

  private async append(name: string, blob: Buffer, rawLength: number, compression: CompressionMethod): Promise<number> {
    if (this.failure) throw this.failure.error;
    if (this.open && this.open.length + blob.length + headerRoom(this.open.blobs.length + 1) > this.capacity) await this.close();
    const pack = (this.open ??= { buffer: this.spare.pop() ?? Buffer.allocUnsafeSlow(this.capacity), length: 0, blobs: [] });
    blob.copy(pack.buffer, pack.length);
    pack.blobs.push({ Name: name, Offset: pack.length, Length: blob.length, RawLength: rawLength, Compression: compression });
    pack.length += blob.length;
    if (pack.length >= this.opts.targetSize) await this.close();
    return blob.length;
  }

  /** Seals the open pack's header and starts its upload, once fewer than maxUploads are running. */
  private async close(): Promise<void> {
    const pack = this.open!;
    this.open = undefined;
    const tail = encodePackTail(pack.blobs, this.opts.cipher);
    tail.copy(pack.buffer, pack.length);
    const size = pack.length + tail.length;
    while (this.uploads.size >= this.opts.maxUploads) await Promise.race(this.uploads);
    if (this.failure) throw this.failure.error;
    const name = randomBytes(32).toString('hex');
    const upload = this.opts.store
      .put(packKey(this.opts.volumeName, name), pack.buffer.subarray(0, size), this.opts.signal ? { signal: this.opts.signal } : {})
      .then(
        () => {
          this.written.push({ Name: name, Size: size, Blobs: pack.blobs });
          this.spare.push(pack.buffer);
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => this.uploads.delete(upload));
    this.uploads.add(upload);
  }

  private async settle(): Promise<void> {
    while (this.uploads.size > 0) await Promise.all(this.uploads);
  }
}

function headerRoom(blobs: number): number {
  return HEADER_FIXED_BYTES + blobs * HEADER_BYTES_PER_BLOB;
}
