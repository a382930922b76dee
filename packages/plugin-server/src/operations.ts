import { ConvoyError, type ConvoyErrorJSON, toConvoyError } from '@convoy/core/lite';

/** The header a client sets on a long request so that it can later ask how that request ended. */
export const OPERATION_HEADER = 'x-convoy-operation';

/** How an operation ended: its result came, it failed, or it stopped because its client went away. */
export type OperationOutcome = { id: string; state: 'finished' } | { id: string; state: 'failed' | 'cancelled'; error: ConvoyErrorJSON };

/** The header of a client whose operations must run on when it goes away (Go Convoy's behaviour). */
export const DETACH_HEADER = 'x-convoy-detach';

/** Settled outcomes kept for a client that asks after the fact (a CLI that closed its connection). */
const KEPT_OUTCOMES = 256;

/**
 * The daemon's long requests by the id their client gave them (OPERATION_HEADER). A client that
 * is interrupted closes its connection, which cancels the operation (the request's AbortSignal),
 * then asks here, on a new connection, how it ended: cancelled and cleaned up, or finished first.
 * Requests without the header (Go Convoy's client) are not tracked; closing them still cancels.
 */
export class OperationRegistry {
  private readonly running = new Map<string, Promise<OperationOutcome>>();
  private readonly settled = new Map<string, OperationOutcome>();

  /** Tracks `work` under `id` until it settles; the outcome is kept for later questions. */
  track(id: string, work: Promise<unknown>): void {
    const outcome = work.then(
      (): OperationOutcome => ({ id, state: 'finished' }),
      (err: unknown): OperationOutcome => {
        const error = toConvoyError(err);
        return { id, state: error.code === 'CANCELLED' ? 'cancelled' : 'failed', error: error.toJSON() };
      },
    );
    this.running.set(id, outcome);
    void outcome.then((o) => {
      this.running.delete(id);
      this.settled.set(id, o);
      if (this.settled.size > KEPT_OUTCOMES) this.settled.delete(this.settled.keys().next().value as string);
    });
  }

  /** How `id` ended, once it has; NOT_FOUND for an id this daemon never ran (or forgot). */
  async outcome(id: string): Promise<OperationOutcome> {
    const known = this.settled.get(id) ?? (await this.running.get(id));
    if (!known) throw new ConvoyError('NOT_FOUND', `no operation ${id} ran on this daemon (or it ended long ago)`, { details: { id } });
    return known;
  }
}

/**
 * Aborted, with a CANCELLED reason, when the request's connection closes before its answer is
 * sent; never for a detached client.
 */
export function cancelOnClose(
  headers: Record<string, string | string[] | undefined>,
  response: NodeJS.EventEmitter & { writableFinished: boolean },
): AbortSignal {
  const cancel = new AbortController();
  if (headers[DETACH_HEADER] === '1') return cancel.signal;
  response.once('close', () => {
    if (!response.writableFinished) cancel.abort(new ConvoyError('CANCELLED', 'cancelled: the client closed its connection before the operation finished'));
  });
  return cancel.signal;
}
