// Why this exists: a restore, verify or copy a user cancels must not keep a stalled store read
// running; every store and wrapper turns a fired signal into the same error, by these helpers.
import type { Readable } from 'node:stream';
import { ConvoyError, isConvoyError } from './errors.js';

/**
 * What a store call whose signal has fired rejects with (one rule for every store and wrapper):
 * the signal's reason when the caller gave a ConvoyError (the daemon aborts with CANCELLED when
 * the client goes away, BUSY when it stops), so the caller's own words reach the user; else
 * CANCELLED naming `what` was stopped, with the reason as its cause.
 */
export function cancelledError(signal: AbortSignal, what: string): ConvoyError {
  if (isConvoyError(signal.reason)) return signal.reason;
  const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new ConvoyError('CANCELLED', `${what} was cancelled: ${why}`, { cause: signal.reason });
}

/** Throws `cancelledError` when `signal` has fired; a store calls it before each request, page or read. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(signal, what);
}

/**
 * Makes `stream` fail with `cancelledError` when `signal` fires before it has been read to its
 * end (its reader sees the cancellation, and whatever it holds open, a file or a socket, is let
 * go); the listener goes with the stream.
 */
export function failOnCancel<S extends Readable>(stream: S, signal: AbortSignal | undefined, what: string): S {
  if (!signal) return stream;
  const onAbort = (): void => {
    stream.destroy(cancelledError(signal, what));
  };
  if (signal.aborted) onAbort();
  else {
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return stream;
}
