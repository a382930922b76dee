import { Transform, type TransformCallback } from 'node:stream';
import { ConvoyError } from '../errors.js';

const BLOCK = 512;
/** ustar header: the entry's size, 12 bytes of octal (or GNU base-256) at offset 124. */
const SIZE_OFFSET = 124;
const SIZE_LENGTH = 12;

/**
 * Passes a tar stream through unchanged while walking its headers, and fails it when it ends
 * before the end-of-archive marker (a zero block where a header belongs). tar-stream accepts a
 * tar that simply stops after any entry, so an archive cut at an entry boundary would otherwise
 * restore the first files only and report success. Bytes after the marker are ignored, as tar
 * does (archives are often padded to a record size).
 */
export class TarEndCheck extends Transform {
  /** Bytes still to skip before the next header: the current entry's data and padding. */
  private skip = 0;
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private ended = false;
  private offset = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(
      this.ended ? undefined : new ConvoyError('CORRUPT', `the tar archive is truncated: it ends after ${this.offset} bytes without its end-of-archive marker`),
    );
  }

  private scan(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const n = chunk.copy(this.header, this.headerFill, at, Math.min(chunk.length, at + BLOCK - this.headerFill));
      this.headerFill += n;
      at += n;
      if (this.headerFill < BLOCK) break;
      this.headerFill = 0;
      if (this.header.every((b) => b === 0)) this.ended = true;
      else this.skip = Math.ceil(entrySize(this.header, this.offset + at - BLOCK) / BLOCK) * BLOCK;
    }
    this.offset += chunk.length;
  }
}

function entrySize(header: Buffer, offset: number): number {
  const field = header.subarray(SIZE_OFFSET, SIZE_OFFSET + SIZE_LENGTH);
  let size: number;
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian after the marker bit.
    size = 0;
    for (let i = 1; i < field.length; i += 1) size = size * 256 + field[i]!;
  } else {
    const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
    size = text === '' ? 0 : Number.parseInt(text, 8);
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new ConvoyError('CORRUPT', `the tar archive has a header with an unreadable size at byte ${offset}`);
  }
  return size;
}
