// Why this exists: V8 frees a buffer's memory only when its isolate collects, and it collects
// for such memory only once the isolate's external memory has grown by about 64 MiB since the
// last collection. Code that makes many short-lived buffers (a codec's output per block, an HTTP
// response's chunks) notes their bytes in a budget that collects when it is spent, so the dead
// memory each isolate holds is bounded by the budget, whatever the volume's size (issue 18
// item 6). Buffers that die young are freed by a scavenge; those kept across many turns only by
// a full collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collector = (options?: { type: 'minor' }) => void;
let collector: Collector | undefined;

/**
 * A collection of the calling thread's isolate: full, or `minor` (a scavenge of the young
 * generation only). `gc` is exposed once, for contexts made from then on (the flag changes
 * nothing else), and taken from a fresh context; `node --expose-gc`'s own is used when present.
 */
export function collectGarbage(type: 'major' | 'minor' = 'major'): void {
  if (!collector) {
    const given = (globalThis as { gc?: Collector }).gc;
    if (given) {
      collector = given;
    } else {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as Collector;
    }
  }
  // Without options `gc` collects everything (options of type 'major' left weak references set).
  if (type === 'minor') collector({ type });
  else collector();
}

/** Counts bytes of short-lived buffers and collects each time they add up to `budgetBytes`. */
export class GarbageBudget {
  private pendingBytes = 0;
  /** Collections run so far. */
  collections = 0;

  constructor(
    readonly budgetBytes: number,
    private readonly collect: () => void = collectGarbage,
  ) {}

  /**
   * Notes `bytes` of buffers that are garbage once their block is done; true when that ran a
   * collection. Memory a native addon handed out (lz4-napi's output) is freed by finalizers that
   * run on the thread's next event-loop turn after the collection, so a thread that might not
   * turn soon (a block worker fed task after task) should yield once then.
   */
  add(bytes: number): boolean {
    this.pendingBytes += bytes;
    if (this.pendingBytes < this.budgetBytes) return false;
    this.pendingBytes = 0;
    this.collections += 1;
    this.collect();
    return true;
  }

  /** Bytes noted since the last collection: never `budgetBytes` or more after `add` returns. */
  get uncollectedBytes(): number {
    return this.pendingBytes;
  }
}
