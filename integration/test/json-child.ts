/**
 * A bundled test child (esbuild, run with node) that takes one JSON argument and prints its
 * result as one JSON line: what every kill -9 test spawns. It resolves with the signal that
 * killed it, or with the last line it printed; a child that exits without one is an error.
 */
import { spawn } from 'node:child_process';

export type ChildOutcome<R> = { signal: NodeJS.Signals } | ({ signal: null } & R);

export function startJsonChild<R>(bundle: string, arg: unknown): { done: Promise<ChildOutcome<R>>; kill: () => void } {
  const child = spawn(process.execPath, [bundle, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<ChildOutcome<R>>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').at(-1);
      if (signal) resolve({ signal });
      else if (line) resolve({ signal: null, ...(JSON.parse(line) as R) });
      else reject(new Error(`child exited with ${code} and no result: ${err}`));
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}
