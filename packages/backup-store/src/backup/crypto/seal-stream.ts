import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TAG_BYTES, tampered } from './seal.js';

/**
 * Streaming authenticated encryption for single-file archives, whose size is not known up front
 * and must never be held in memory whole (the STREAM construction of Hoang, Reyhanitabar,
 * Rogaway and Vizár):
 *
 *   archive = MAGIC(4) ‖ noncePrefix(8) ‖ segment₀ ‖ segment₁ ‖ … ‖ segmentₙ
 *   segmentᵢ = AES-256-GCM(nonce = noncePrefix ‖ uint32be(i), aad = objectKey ‖ i ‖ final?) of
 *              SEGMENT plaintext bytes (the final segment: 0 to SEGMENT-1 bytes) ‖ tag
 *
 * Each segment's index is in its nonce and the final one says so in its associated data, so
 * reordered, dropped, duplicated or cut-off segments all fail authentication; the object key in
 * the associated data binds the archive to its name. The prefix is random per archive.
 */
export const STREAM_MAGIC = Buffer.from('CVS1', 'latin1');
const PREFIX_BYTES = 8;
const HEADER_BYTES = STREAM_MAGIC.length + PREFIX_BYTES;
export const SEGMENT_BYTES = 1024 * 1024;
const SEALED_SEGMENT = SEGMENT_BYTES + TAG_BYTES;
const CIPHER = 'aes-256-gcm';
/** 2^32 segments of 1 MiB: 4 PiB per archive. */
const MAX_SEGMENTS = 2 ** 32;

function segmentCipher(prefix: Buffer, objectKey: string, index: number, final: boolean) {
  if (index >= MAX_SEGMENTS) throw new Error('archive too large for one encrypted stream');
  const nonce = Buffer.alloc(PREFIX_BYTES + 4);
  prefix.copy(nonce);
  nonce.writeUInt32BE(index, PREFIX_BYTES);
  const aad = Buffer.from(`${objectKey}\n${index}\n${final ? 'final' : 'more'}`, 'utf8');
  return { nonce, aad };
}

function sealSegment(key: Buffer, prefix: Buffer, objectKey: string, index: number, final: boolean, plaintext: Buffer): Buffer {
  const { nonce, aad } = segmentCipher(prefix, objectKey, index, final);
  const cipher = createCipheriv(CIPHER, key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function openSegment(key: Buffer, prefix: Buffer, objectKey: string, index: number, final: boolean, sealed: Buffer): Buffer {
  const { nonce, aad } = segmentCipher(prefix, objectKey, index, final);
  const decipher = createDecipheriv(CIPHER, key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw tampered(objectKey, `segment ${index}${final ? ' (the last)' : ''} fails authentication`);
  }
}

/** Collects chunks and hands out fixed-size pieces, copying only what straddles a boundary. */
class Segmenter {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(bytes: number): Buffer {
    const out = Buffer.concat(this.chunks, this.length);
    this.chunks = out.length > bytes ? [out.subarray(bytes)] : [];
    this.length -= Math.min(bytes, out.length);
    return out.subarray(0, bytes);
  }
}

export class SealStream extends Transform {
  private readonly prefix = randomBytes(PREFIX_BYTES);
  private readonly pending = new Segmenter();
  private index = 0;

  constructor(
    private readonly key: Buffer,
    private readonly objectKey: string,
  ) {
    super();
    this.push(Buffer.concat([STREAM_MAGIC, this.prefix]));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    while (this.pending.length >= SEGMENT_BYTES)
      this.push(sealSegment(this.key, this.prefix, this.objectKey, this.index++, false, this.pending.take(SEGMENT_BYTES)));
    done();
  }

  override _flush(done: TransformCallback): void {
    done(null, sealSegment(this.key, this.prefix, this.objectKey, this.index, true, this.pending.take(this.pending.length)));
  }
}

export class OpenStream extends Transform {
  private readonly pending = new Segmenter();
  private prefix: Buffer | undefined;
  private index = 0;

  constructor(
    private readonly key: Buffer,
    private readonly objectKey: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    try {
      if (!this.prefix) {
        if (this.pending.length < HEADER_BYTES) {
          done();
          return;
        }
        const header = this.pending.take(HEADER_BYTES);
        if (!header.subarray(0, STREAM_MAGIC.length).equals(STREAM_MAGIC)) throw tampered(this.objectKey, 'it is not an encrypted archive');
        this.prefix = Buffer.from(header.subarray(STREAM_MAGIC.length));
      }
      // A full segment is known not to be the last only once a byte of the next one is here.
      while (this.pending.length > SEALED_SEGMENT)
        this.push(openSegment(this.key, this.prefix, this.objectKey, this.index++, false, this.pending.take(SEALED_SEGMENT)));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.prefix || this.pending.length < TAG_BYTES) throw tampered(this.objectKey, 'the archive ends before its last segment');
      done(null, openSegment(this.key, this.prefix, this.objectKey, this.index, true, this.pending.take(this.pending.length)));
    } catch (err) {
      done(err as Error);
    }
  }
}
