/**
 * One signal per backup, restore or verify: it aborts when the daemon stops (drain-or-cancel's
 * signal) or when the caller gives up (its client closed the connection), whichever comes first.
 * Both reach the engine through the same `signal` parameter, so there is one way of stopping.
 */
export function operationSignal(daemon: AbortSignal | undefined, caller: AbortSignal | undefined): { signal?: AbortSignal } {
  const signals = [daemon, caller].filter((s): s is AbortSignal => s !== undefined);
  if (signals.length === 0) return {};
  return { signal: signals.length === 1 ? (signals[0] as AbortSignal) : AbortSignal.any(signals) };
}
