/**
 * Reused block buffers, on SharedArrayBuffers so the block workers read them in place (no copy
 * per block). Fresh memory is expensive on the VMs Convoy runs on (every 4 KiB page faults in
 * at a few µs), so pipelines take a buffer per slot from here and give it back; the pool keeps
 * up to `maxIdleBytes` of them, by size, between operations. How many are in use at once is
 * bounded by the callers' slot counts, not here.
 */
export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes: number) {}

  take(size: number): Buffer {
    const buffer = this.idle.get(size)?.pop();
    if (!buffer) return Buffer.from(new SharedArrayBuffer(size));
    this.idleBytes -= size;
    return buffer;
  }

  give(buffer: Buffer): void {
    const size = buffer.length;
    const list = this.idle.get(size) ?? [];
    if (this.idleBytes + size > this.maxIdleBytes || list.includes(buffer)) return;
    list.push(buffer);
    this.idle.set(size, list);
    this.idleBytes += size;
  }
}
