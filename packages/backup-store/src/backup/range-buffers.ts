/**
 * The buffers a pack restore reads its ranges into, reused from read to read. Each ranged read
 * of a pack is up to RANGE_LIMIT (20 MiB) of stored bytes; a fresh buffer per read left a
 * range's worth of garbage per read, which V8 collects only after tens of MiB of it. A restore
 * keeps at most `count` buffers of `size` bytes; a read while all are taken, or one larger than
 * `size`, gets a fresh buffer that is not kept. They are SharedArrayBuffers, so the block
 * workers open each blob where it lies: no copy of a block leaves the range.
 */
export class RangeBuffers {
  private readonly idle: Buffer[] = [];

  constructor(
    private readonly size: number,
    private readonly count: number,
  ) {}

  /** A buffer of at least `length` bytes, the caller's until it gives it back. */
  take(length: number): Buffer {
    if (length > this.size) return sharedBuffer(length);
    return this.idle.pop() ?? sharedBuffer(this.size);
  }

  /** Gives back a buffer `take` lent, once its bytes are no longer read. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.idle.length < this.count && !this.idle.includes(buffer)) this.idle.push(buffer);
  }
}

function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
