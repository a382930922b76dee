/**
 * An attached, non-tty exec's output as Docker streams it: frames of
 * [stream, 0, 0, 0, size (u32 BE)] + payload, read as they arrive. Only the last 4 KiB of
 * payload are kept, so a hook that prints gigabytes costs no memory; the tail is what explains
 * a failure.
 */
export const MAX_HOOK_OUTPUT = 4096;

export class ExecOutput {
  private pending = Buffer.alloc(0);
  /** Payload bytes of the current frame still to come. */
  private payloadLeft = 0;
  private tail = Buffer.alloc(0);

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, data.length);
        this.keep(data.subarray(0, take));
        this.payloadLeft -= take;
        data = data.subarray(take);
      } else if (data.length < 8) {
        this.pending = Buffer.from(data);
        return;
      } else {
        this.payloadLeft = data.readUInt32BE(4);
        data = data.subarray(8);
      }
    }
  }

  text(): string {
    return this.tail.toString('utf8');
  }

  private keep(payload: Buffer): void {
    const joined = Buffer.concat([this.tail, payload]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - MAX_HOOK_OUTPUT)));
  }
}
