import { execa } from 'execa';
import { ConvoyError } from './errors.js';

export interface RunOptions {
  /** Overrides the runner's default timeout for this call (ms). */
  timeoutMs?: number;
  /** Bytes or text written to the command's stdin. */
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that count as success besides 0. */
  okExitCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs an external program; every driver gets one through its DriverContext. */
export type CommandRunner = (command: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export interface CommandRunnerOptions {
  /** Default timeout in ms (`--cmd-timeout`); 0 disables it. */
  timeoutMs: number;
  /** Called before each command, for debug logs. */
  onCommand?: (command: string, args: readonly string[]) => void;
}

/**
 * The one wrapper for external commands. A failure is a ConvoyError COMMAND_FAILED (or TIMEOUT)
 * whose details carry the command line, the exit code and stderr, so nobody has to guess.
 */
export function createCommandRunner(defaults: CommandRunnerOptions): CommandRunner {
  return async (command, args, opts = {}) => {
    defaults.onCommand?.(command, args);
    const timeout = opts.timeoutMs ?? defaults.timeoutMs;
    const commandLine = [command, ...args].join(' ');
    const result = await execa(command, args, {
      reject: false,
      timeout: timeout > 0 ? timeout : undefined,
      input: opts.input,
      env: opts.env,
      stripFinalNewline: false,
      killSignal: 'SIGKILL',
    });
    const details = { command: commandLine, exitCode: result.exitCode ?? null, stderr: String(result.stderr ?? '').trim() };
    if (result.timedOut) {
      throw new ConvoyError('TIMEOUT', `${commandLine} did not finish within ${timeout} ms`, { details });
    }
    if (result.failed && !(result.exitCode !== undefined && opts.okExitCodes?.includes(result.exitCode))) {
      const why =
        result.exitCode === undefined ? (result.cause instanceof Error ? result.cause.message : 'could not start') : `exited with code ${result.exitCode}`;
      const tail = details.stderr ? `: ${details.stderr.split('\n').slice(-3).join(' | ')}` : '';
      throw new ConvoyError('COMMAND_FAILED', `${commandLine} ${why}${tail}`, { details, cause: result.cause });
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 0 };
  };
}
