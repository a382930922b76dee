import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where a profile's self time goes, by kind of work, judged from the function and its script. */
function categoryOf({ functionName, url }) {
  if (functionName === '(idle)' || functionName === 'atomicsWaitLoop') return 'idle: the thread waits (for I/O on the libuv pool, or for a task)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 and native code outside JS';
  if (/crypto/.test(url) || /^(update|digest)$/.test(functionName)) return 'SHA-512 (crypto hash update/digest)';
  // V8 does not see inside native calls: the engine's codec wrappers' self time is the codec.
  if (/lz4|zstd/i.test(url) || /Frame/.test(functionName) || /^(compressBlock|decompressBlock)$/.test(functionName))
    return 'compression (lz4-napi in the calling thread; zstd runs on the libuv pool)';
  if (/^node:/.test(url) || url === '') return 'Node internals (fs, streams, promises)';
  return 'Convoy and bundled JavaScript';
}

/**
 * Reads the V8 CPU profiles `node --cpu-prof` wrote into `dir` (one per thread: the main thread
 * and each block worker) and sums self time by category and by function (top `top`), with each
 * share of the threads' profiled time together.
 */
export function summariseCpuProfile(dir, top = 12) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
  const byCategory = new Map();
  const byFunction = new Map();
  let totalMicros = 0;
  let mainMicros = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfMicros = new Map();
    for (const [i, id] of profile.samples.entries()) selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    const micros = profile.endTime - profile.startTime;
    totalMicros += micros;
    mainMicros = Math.max(mainMicros, micros);
    for (const [id, self] of selfMicros) {
      const { callFrame } = nodes.get(id);
      const category = categoryOf(callFrame);
      byCategory.set(category, (byCategory.get(category) ?? 0) + self);
      const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
      const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
      byFunction.set(key, (byFunction.get(key) ?? 0) + self);
    }
  }
  const rows = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, seconds: micros / 1e6, share: micros / totalMicros }));
  return {
    files: files.map((f) => path.join(dir, f)),
    threads: files.length,
    seconds: mainMicros / 1e6,
    threadSeconds: totalMicros / 1e6,
    byCategory: rows(byCategory),
    topFunctions: rows(byFunction).slice(0, top),
  };
}
