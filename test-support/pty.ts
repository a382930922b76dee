/*
 * A command in a real terminal, for tests of what a person at one sees and does (Ctrl-C,
 * progress bars): python3's pty module is the terminal; its stdin is what is typed (so "\x03"
 * is Ctrl-C, delivered as SIGINT by the terminal's line discipline), its stdout what is shown.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Whether this machine can give a test a terminal (python3 with its pty module), for describeNeeding. */
export const ptyAvailable = {
  available: spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0,
  name: 'python3 (its pty module is the terminal)',
  install: 'apt-get install python3',
};

const BRIDGE = ['import os, pty, sys', 'status = pty.spawn(sys.argv[1:])', 'sys.exit(os.waitstatus_to_exitcode(status) & 255)'].join('\n');

export interface PtySession {
  /** Everything the terminal showed so far. */
  output(): string;
  /** Resolves once the terminal shows something matching `pattern`; rejects if the command ends first. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Types `keys` ("\x03" is Ctrl-C). */
  type(keys: string): void;
  /** The command's exit code. */
  exited: Promise<number>;
}

/** Runs `argv` in a pseudo-terminal of `columns` columns. */
export function spawnInPty(argv: string[], opts: { env?: NodeJS.ProcessEnv; columns?: number } = {}): PtySession {
  const sized = ['sh', '-c', `stty cols ${opts.columns ?? 100} rows 40; exec "$0" "$@"`, ...argv];
  const child = spawn('python3', ['-c', BRIDGE, ...sized], { stdio: ['pipe', 'pipe', 'inherit'], env: opts.env ?? process.env });
  let shown = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString();
    for (const check of waiters) check();
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    output: () => shown,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(shown)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
        void exited.then((code) => {
          if (waiters.delete(check)) reject(new Error(`the command exited (${code}) before showing ${pattern}:\n${shown}`));
        });
      }),
    type: (keys) => child.stdin.write(keys),
    exited,
  };
}
