import { cancelledError, parseCount } from '@convoy/core';
import { BLOCK_SIZE } from './layout.js';

/**
 * Runs `work` over `items` with at most `concurrency` calls in flight. The first failure stops
 * the others from taking new items and is rethrown once every call in flight has settled, so no
 * work is left running behind the caller's back.
 */
export async function runWorkers<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T, worker: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (id: number): Promise<void> => {
    while (!failure) {
      if (signal?.aborted) {
        failure ??= { error: cancelledError(signal, 'the operation') };
        return;
      }
      const next = iterator.next();
      if (next.done) return;
      try {
        await work(next.value, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, (_, i) => worker(i)));
  if (failure) throw failure.error;
}

/**
 * At most `count` calls of `run` at once among every caller that shares it; the others wait their
 * turn in order. For a limit across nested `runWorkers` calls, which each count only their own.
 */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(count: number) {
    this.free = count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

export function validateConcurrency(value: number | undefined, fallback: number): number {
  return parseCount(value ?? fallback, 'backup concurrency', 'backupConcurrency');
}

/**
 * Smaller blocks keep more of them in flight, so the workers stay busy on short tasks: the same
 * bytes in flight as `concurrency` 2 MiB blocks, up to 8 times the blocks.
 */
export function blocksInFlight(concurrency: number, blockSize: number): number {
  return concurrency * Math.min(8, BLOCK_SIZE / blockSize);
}
