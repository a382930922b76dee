/** Runs `work` and returns its result with the seconds it took (the engine's own share of a step). */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}
