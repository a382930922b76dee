// Why this exists: the codecs hand back a fresh buffer per block, which V8 frees late (see
// GarbageBudget in @convoy/core). The engine's thread and every block worker are isolates of their
// own, so each held up to ~64 MiB of dead codec output: most of a backup's or restore's peak RSS
// (issue 18 item 6). These are their budgets. A block worker's garbage dies young (see
// block-worker.ts), so a scavenge frees it; the engine's thread keeps blocks across many turns
// (uploads, writes), so only a full collection does.

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
