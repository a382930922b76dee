import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where a profile's self time goes, by kind of work, judged from the function and its script. */
function categoryOf({ functionName, url }) {
  if (functionName === '(idle)') return 'idle: the main thread waits (reads and writes run on the libuv pool)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 and native code outside JS';
  if (/crypto/.test(url) || /^(update|digest)$/.test(functionName)) return 'SHA-512 (crypto hash update/digest)';
  // V8 does not see inside native calls: the engine's codec wrappers' self time is lz4 itself.
  if (/lz4/i.test(url) || /Frame/.test(functionName) || /^(compressBlock|decompressBlock)$/.test(functionName)) return 'lz4 (on the main thread)';
  if (/^node:/.test(url) || url === '') return 'Node internals (fs, streams, promises)';
  return 'Convoy and bundled JavaScript';
}

/**
 * Reads the V8 CPU profile `node --cpu-prof` wrote into `dir` and sums self time by category and
 * by function (top `top`), with each share of the profiled wall time.
 */
export function summariseCpuProfile(dir, top = 12) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalMicros = profile.endTime - profile.startTime;
  const byCategory = new Map();
  const byFunction = new Map();
  for (const [id, micros] of selfMicros) {
    const { callFrame } = nodes.get(id);
    const category = categoryOf(callFrame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + micros);
    const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  }
  const rows = (map) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, seconds: micros / 1e6, share: micros / totalMicros }));
  return { file: path.join(dir, file), seconds: totalMicros / 1e6, byCategory: rows(byCategory), topFunctions: rows(byFunction).slice(0, top) };
}
