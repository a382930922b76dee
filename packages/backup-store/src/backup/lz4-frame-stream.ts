import { Transform, type TransformCallback } from 'node:stream';
import { ConvoyError } from '@convoy/core';
import { compressFrame, decompressFrame } from 'lz4-napi';

/**
 * lz4-napi compresses whole buffers only, so a long stream (a single-file archive) becomes a
 * sequence of independent LZ4 frames of `chunkSize` input bytes each. Concatenated frames are
 * valid LZ4 (the `lz4` CLI decodes them); memory stays at one chunk whatever the stream's size.
 */
export class Lz4FrameEncoder extends Transform {
  private readonly chunk: Buffer;
  private filled = 0;

  constructor(chunkSize: number) {
    super();
    this.chunk = Buffer.allocUnsafeSlow(chunkSize);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.absorb(data, 0).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    (this.filled > 0 ? this.emitFrame() : Promise.resolve()).then(() => done(), done);
  }

  private async absorb(data: Buffer, from: number): Promise<void> {
    let at = from;
    while (at < data.length) {
      const n = data.copy(this.chunk, this.filled, at);
      this.filled += n;
      at += n;
      if (this.filled === this.chunk.length) await this.emitFrame();
    }
  }

  private async emitFrame(): Promise<void> {
    // The chunk is reused: compressFrame must finish reading it before we refill it. The content
    // checksum (xxHash32 of the frame's input) makes the decoder refuse a frame whose bytes changed.
    this.push(await compressFrame(this.chunk.subarray(0, this.filled), { contentChecksum: true }));
    this.filled = 0;
  }
}

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const FLG_DICT_ID = 0x01;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_CONTENT_SIZE = 0x08;
const FLG_BLOCK_CHECKSUM = 0x10;

/**
 * Splits a stream of LZ4 frames at frame boundaries (parsing only the headers and block sizes of
 * the LZ4 frame format) and decodes each frame whole. `maxFrameBytes` bounds memory against a
 * corrupt or hostile object.
 */
export class Lz4FrameDecoder extends Transform {
  private readonly queue = new ByteQueue();
  /** How far into the frame at the queue's head the scan has got (0 = not started). */
  private scanned = 0;

  constructor(private readonly maxFrameBytes: number) {
    super();
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.queue.push(data);
    this.drain().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    done(this.queue.length > 0 ? corrupt(`the stream ends inside a frame (${this.queue.length} bytes left over)`) : undefined);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const end = this.frameEnd();
      if (end === undefined) return;
      const frame = this.queue.take(end);
      this.scanned = 0;
      if (frame.readUInt32LE(0) === FRAME_MAGIC) {
        try {
          this.push(await decompressFrame(frame));
        } catch (err) {
          throw corrupt(`a frame does not decode: ${(err as Error).message}`);
        }
      }
    }
  }

  /** The length of the frame at the head of the queue, or undefined while it is incomplete. */
  private frameEnd(): number | undefined {
    const q = this.queue;
    if (q.length < 8) return undefined;
    const magic = q.uint32At(0);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) return this.completeAt(8 + q.uint32At(4));
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    const flg = q.byteAt(4);
    const headerLength = 7 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0);
    let at = Math.max(this.scanned, headerLength);
    while (at + 4 <= q.length) {
      const word = q.uint32At(at);
      if (word === 0) return this.completeAt(at + 4 + (flg & FLG_CONTENT_CHECKSUM ? 4 : 0));
      at = this.checkSize(at + 4 + (word & 0x7fffffff) + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0));
      this.scanned = at;
    }
    return undefined;
  }

  private completeAt(end: number): number | undefined {
    return this.checkSize(end) <= this.queue.length ? end : undefined;
  }

  private checkSize(end: number): number {
    if (end > this.maxFrameBytes) throw corrupt(`a frame is larger than ${this.maxFrameBytes} bytes`);
    return end;
  }
}

/** Received chunks kept as they came; bytes are copied once, when a whole frame is taken. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  byteAt(index: number): number {
    let at = index;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
    throw new RangeError(`byte ${index} is beyond the queue`);
  }

  uint32At(index: number): number {
    return (this.byteAt(index) | (this.byteAt(index + 1) << 8) | (this.byteAt(index + 2) << 16) | (this.byteAt(index + 3) << 24)) >>> 0;
  }

  take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return all.subarray(0, n);
  }
}

function corrupt(why: string): ConvoyError {
  return new ConvoyError('CORRUPT', `LZ4 stream is corrupt: ${why}`);
}
