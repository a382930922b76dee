/**
 * An injected fault for the engine's block workers: a worker that names blocks like the real
 * one (the bundle CONVOY_BLOCK_WORKER points at) and dies, its thread exiting, on the first
 * block it is asked to compress or open: a codec crash in the middle of an operation.
 */
const real = await import(process.env.CONVOY_BLOCK_WORKER);

export default function crashingBlockTask(task) {
  if (task.op === 'name') return real.default(task);
  process.exit(70);
}
