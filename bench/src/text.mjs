import { Prng } from './random.mjs';

/**
 * Compressible text like a database's or log's contents: lorem-ipsum sentences from a seeded
 * pool of 4096, one per line, each line prefixed with a unique `<tag>.<line>` so that no two
 * text runs deduplicate (baselines.md §1). About 1.7× under lz4, 1.8× under gzip.
 */
const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et ' +
  'dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea ' +
  'commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum eu fugiat nulla pariatur ' +
  'excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum'
)
  .split(' ')
  .slice(0, 64);
const POOL_SIZE = 4096;

export class TextSource {
  #prng;
  #pool;

  constructor(label) {
    this.#prng = new Prng(`text:${label}`);
    this.#pool = Array.from({ length: POOL_SIZE }, () => {
      const words = Array.from({ length: this.#prng.between(6, 14) }, () => WORDS[this.#prng.below(WORDS.length)]);
      const sentence = words.join(' ');
      return Buffer.from(`${sentence[0].toUpperCase()}${sentence.slice(1)}.\n`, 'latin1');
    });
  }

  /** Fills `buf[offset, offset + length)` with text lines tagged `tag`; the last line is cut. */
  fill(buf, offset, length, tag) {
    const end = offset + length;
    let pos = offset;
    for (let line = 0; pos < end; line++) {
      pos += buf.latin1Write(`${tag}.${String(line).padStart(5, '0')} `, pos, end - pos);
      if (pos >= end) break;
      pos += this.#pool[this.#prng.below(POOL_SIZE)].copy(buf, pos, 0, end - pos);
    }
  }
}
