// Why this exists: a pack restore reads range after range into the same (shared) buffer. Joining a
// response's chunks instead made a fresh range-sized buffer per read, besides its chunks: garbage
// on the engine's thread, and a buffer the block workers could only get copies out of. The chunks
// themselves are garbage too, and lay uncollected up to ~64 MiB: they go into a garbage budget.
import type { Readable } from 'node:stream';
import type { GarbageBudget } from '@convoy/core';

/**
 * Copies `length` bytes of `body`, from its byte `skip` on, into `into` (which holds at least
 * `length`); a body that ends sooner gives fewer. Resolves to the view of `into` that holds them.
 * Every chunk read is noted in `garbage`.
 */
export async function readRangeInto(body: Readable, skip: number, length: number, into: Buffer, garbage: GarbageBudget): Promise<Buffer> {
  let seen = 0;
  let filled = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const from = Math.max(0, skip - seen);
    const to = Math.min(chunk.length, skip + length - seen);
    if (to > from) filled += chunk.copy(into, filled, from, to);
    seen += chunk.length;
    garbage.add(chunk.length);
  }
  return into.subarray(0, filled);
}
