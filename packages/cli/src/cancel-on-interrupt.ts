/*
 * Ctrl-C, as restic answers it: the first one cancels the operation in the daemon (closing the
 * call's connection is the cancel), says so, waits for the daemon's word on how it ended, and
 * exits 130; a second one leaves at once and says what is still running. With --detach the
 * daemon runs the operation on when this client goes away (Go Convoy's and scripts' behaviour).
 */
import { type ConvoyError, isConvoyError } from '@convoy/core/lite';
import { ConvoyClient } from '@convoy/plugin-server/client';
import type { OutputStream } from './printer.js';

/** What a shell reports for a process ended by SIGINT (128 + 2). */
export const INTERRUPTED_EXIT = 130;

/** The process's side of an interrupt: its SIGINT and its way out (a test may inject both). */
export interface InterruptSource {
  on(event: 'SIGINT', listener: () => void): void;
  off(event: 'SIGINT', listener: () => void): void;
  exit(code: number): never;
}

/** Runs a command's work with Ctrl-C handled; `interrupted` is set when it was cancelled. */
export async function cancelOnInterrupt(
  socketPath: string,
  opts: { detach: boolean; stderr: OutputStream; source?: InterruptSource; onInterrupt?: () => void },
  work: (client: ConvoyClient) => Promise<void>,
): Promise<{ interrupted: boolean }> {
  const source = opts.source ?? process;
  const cancel = new AbortController();
  const client = new ConvoyClient(socketPath, { signal: cancel.signal, detach: opts.detach });
  const say = (text: string) => opts.stderr.write(`\n${text}\n`);
  const onInterrupt = () => {
    opts.onInterrupt?.();
    const operation = client.currentOperation;
    if (cancel.signal.aborted || opts.detach) {
      say(
        operation
          ? `convoy: leaving now; the daemon still ${opts.detach ? 'runs' : 'cancels'} ${operation.route} (operation ${operation.id})`
          : 'convoy: leaving now',
      );
      source.exit(INTERRUPTED_EXIT);
    }
    say(`convoy: cancelling${operation ? ` ${operation.route}` : ''}; waiting for the daemon to clean up (Ctrl-C again to leave at once)`);
    cancel.abort();
  };
  source.on('SIGINT', onInterrupt);
  try {
    await work(client);
    return { interrupted: false };
  } catch (err) {
    if (!cancel.signal.aborted || !isConvoyError(err, 'CANCELLED')) throw err;
    say(await howItEnded(socketPath, err));
    return { interrupted: true };
  } finally {
    source.off('SIGINT', onInterrupt);
  }
}

/** Asks the daemon, on a new connection, how the cancelled call ended. */
async function howItEnded(socketPath: string, err: ConvoyError): Promise<string> {
  const id = err.details?.operation;
  if (typeof id !== 'string') return 'convoy: cancelled before anything was sent to the daemon';
  try {
    const outcome = await new ConvoyClient(socketPath).call('operationOutcome', { id });
    if (outcome.state === 'cancelled') return 'convoy: cancelled; the daemon stopped the operation and kept nothing of it';
    if (outcome.state === 'finished') return 'convoy: the operation finished before it could be cancelled; its result was kept';
    return `convoy: the operation failed while cancelling: ${outcome.error.message}`;
  } catch (asking) {
    // The call never reached a handler (it was refused, or the daemon is gone).
    return `convoy: cancelled; the daemon could not say how the operation ended (${asking instanceof Error ? asking.message : String(asking)})`;
  }
}
