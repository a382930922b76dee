// Why this exists: the codecs hand back a fresh buffer per block, and V8 frees such memory only
// once its isolate's external memory has grown by about 64 MiB since the last collection. The
// engine's thread and every block worker are isolates of their own, so each held up to that
// much dead codec output: most of a backup's or restore's peak RSS (issue 18 item 6). A budget
// per isolate collects after a fixed number of such bytes, so the dead memory each one holds is
// bounded by the budget, whatever the volume's size. A block worker's garbage dies young (see
// block-worker.ts), so a scavenge frees it; the engine's thread keeps blocks across many turns
// (uploads, writes), so only a full collection does.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MiB = 1024 * 1024;
/**
 * Per block worker, with a scavenge (about 0.05 ms): about one block's worth. A full collection
 * of even a worker's 6 MiB heap takes about 16 ms on the VMs measured; at this rate it added a
 * third to a backup's CPU time.
 */
export const WORKER_GARBAGE_BUDGET = 2 * MiB;
/**
 * On the engine's thread (the results it receives from the workers, or the codecs' output when
 * there are none): 8 blocks of 2 MiB, so the larger heap of a daemon is collected less often.
 */
export const ENGINE_GARBAGE_BUDGET = 16 * MiB;

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
