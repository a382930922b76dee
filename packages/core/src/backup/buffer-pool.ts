/**
 * Reused block buffers, on SharedArrayBuffers so the block workers read them in place (no copy
 * per block). Fresh memory is expensive on the VMs Convoy runs on (every 4 KiB page
 * faults in at a few µs), so pipelines take a buffer per worker from here and give it back; the
 * pool keeps up to `maxIdle` of them between operations. How many are in use at once is bounded
 * by the callers' worker counts, not here.
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.from(new SharedArrayBuffer(this.bufferSize));
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.bufferSize && this.idle.length < this.maxIdle && !this.idle.includes(buffer)) this.idle.push(buffer);
  }
}
