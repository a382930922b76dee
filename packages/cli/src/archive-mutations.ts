import { randomBytes } from 'node:crypto';

/**
 * Seeded random mutations of a stored single-file archive (bytes flipped, cut, appended, 512-byte
 * tar records swapped, another backup's archive in its place), shared by the restore and verify
 * fuzz tests so both face the same damage.
 */

/** mulberry32: small, seeded, good enough to spread mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = { describe: string; apply: (archive: Buffer, other: Buffer) => Buffer };

export function randomMutation(rand: () => number): Mutation {
  const int = (n: number): number => Math.floor(rand() * n);
  switch (int(5)) {
    case 0: {
      const flips = Array.from({ length: 1 + int(3) }, () => ({ at: rand(), mask: 1 + int(255) }));
      return {
        describe: `flip ${JSON.stringify(flips)}`,
        apply: (a) => {
          const b = Buffer.from(a);
          for (const f of flips) b[Math.floor(f.at * b.length)]! ^= f.mask;
          return b;
        },
      };
    }
    case 1: {
      const at = rand();
      return { describe: `cut at ${at}`, apply: (a) => a.subarray(0, Math.floor(at * a.length)) };
    }
    case 2: {
      const extra = randomBytes(1 + int(600));
      return { describe: `append ${extra.length} bytes`, apply: (a) => Buffer.concat([a, extra]) };
    }
    case 3: {
      const [x, y] = [rand(), rand()];
      return {
        describe: `swap 512-byte records at ${x} and ${y}`,
        apply: (a) => {
          const b = Buffer.from(a);
          const records = Math.floor(b.length / 512);
          const [i, j] = [Math.floor(x * records) * 512, Math.floor(y * records) * 512];
          const tmp = Buffer.from(b.subarray(i, i + 512));
          b.copy(b, i, j, j + 512);
          tmp.copy(b, j);
          return b;
        },
      };
    }
    default:
      return { describe: "another backup's archive in its place", apply: (_a, other) => other };
  }
}
