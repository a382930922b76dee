import { createCipheriv, createHash } from 'node:crypto';

/**
 * Seeded randomness for the bench data. Two sources, both reproducible from a label:
 * - `Prng` (sfc32) for decisions (offsets, run kinds, sentence picks): fast and tiny;
 * - `Keystream` (AES-128-CTR over zeros) for bulk incompressible bytes, at AES-NI speed.
 */

function seedWords(label) {
  const digest = createHash('sha256').update(String(label)).digest();
  return [0, 4, 8, 12].map((i) => digest.readUInt32LE(i));
}

export class Prng {
  #a;
  #b;
  #c;
  #d;
  constructor(label) {
    [this.#a, this.#b, this.#c, this.#d] = seedWords(label);
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32() {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits. */
  float() {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform integer in [0, n). */
  below(n) {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo, hi) {
    return lo + this.below(hi - lo + 1);
  }
}

const CHUNK = 64 * 1024;
// Below glibc's mmap threshold, so the cipher's output buffers are recycled from the heap
// instead of faulting in fresh pages (expensive on this VM, see baselines.md §0).
const ZEROS = Buffer.alloc(CHUNK);

export class Keystream {
  #cipher;
  constructor(label) {
    const key = createHash('sha256').update(`keystream:${label}`).digest().subarray(0, 16);
    this.#cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }

  /** Fills `buf[offset, offset + length)` with the next bytes of the stream. */
  fill(buf, offset = 0, length = buf.length - offset) {
    for (let done = 0; done < length; done += CHUNK) {
      const n = Math.min(CHUNK, length - done);
      this.#cipher.update(ZEROS.subarray(0, n)).copy(buf, offset + done);
    }
  }
}
