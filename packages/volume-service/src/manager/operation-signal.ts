import { setMaxListeners } from 'node:events';

/**
 * One signal per backup, restore or verify: it aborts when the daemon stops (drain-or-cancel's
 * signal) or when the caller gives up (its client closed the connection), whichever comes first.
 * Both reach the engine through the same `signal` parameter, so there is one way of stopping.
 *
 * Every store call in flight listens on it (an S3 request, a body being read: dozens at once in
 * a restore of small blocks), so it is the operation's own signal, without Node's limit of 10
 * listeners that would print a leak warning for each operation.
 */
export function operationSignal(daemon: AbortSignal | undefined, caller: AbortSignal | undefined): { signal?: AbortSignal } {
  const signals = [daemon, caller].filter((s): s is AbortSignal => s !== undefined);
  if (signals.length === 0) return {};
  const signal = AbortSignal.any(signals);
  setMaxListeners(0, signal);
  return { signal };
}
