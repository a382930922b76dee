import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/**
 * Wipes variables' values from this process's initial environment, the memory that
 * /proc/<pid>/environ shows for the life of the process. `delete process.env.X` only unlinks X
 * from the C environment; its bytes stay where the kernel put them at exec, readable by the
 * process's owner and root for as long as it runs. Node has no execve to start over without
 * them, so the daemon overwrites them in place, through /proc/self/mem (Linux only: a process
 * may always write its own memory there). Only bytes of the given variables change, and only
 * after they are gone from process.env, so no pointer still reads them.
 *
 * Returns the names it wiped, or why it could not (no /proc, a hardened kernel): the caller
 * warns, since the secret then stays readable.
 */
export function wipeFromProcEnviron(names: readonly string[]): { wiped: string[] } | { failed: string } {
  let mem: number | undefined;
  try {
    const [start, end] = environBounds();
    mem = openSync('/proc/self/mem', 'r+');
    const environ = Buffer.alloc(end - start);
    readSync(mem, environ, 0, environ.length, start);
    const wiped: string[] = [];
    for (const { name, from, to } of entries(environ)) {
      if (!names.includes(name)) continue;
      const zeros = Buffer.alloc(to - from);
      if (writeSync(mem, zeros, 0, zeros.length, start + from) !== zeros.length) throw new Error('short write to /proc/self/mem');
      wiped.push(name);
    }
    return { wiped };
  } catch (err) {
    return { failed: (err as Error).message };
  } finally {
    if (mem !== undefined) closeSync(mem);
  }
}

/** env_start and env_end, fields 50 and 51 of /proc/self/stat (Linux ≥ 3.5). */
function environBounds(): [number, number] {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start > 0 && end > start)) throw new Error('/proc/self/stat gives no environment bounds');
  return [start, end];
}

/** Each NAME=value of the NUL-separated block, with where its value lies. */
function* entries(environ: Buffer): Generator<{ name: string; from: number; to: number }> {
  let at = 0;
  while (at < environ.length) {
    const nul = environ.indexOf(0, at);
    const stop = nul === -1 ? environ.length : nul;
    const eq = environ.indexOf(0x3d, at);
    if (eq !== -1 && eq < stop) yield { name: environ.toString('latin1', at, eq), from: eq + 1, to: stop };
    at = stop + 1;
  }
}
