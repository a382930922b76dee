import { setTimeout as sleep } from 'node:timers/promises';

/** How the daemon's stop ended: everything closed in order, or abandoned at the deadline. */
export type StopOutcome = 'stopped' | 'abandoned';

/**
 * Stopping in bounded time whatever the stores do: `orderly` closes everything in order (its
 * own grace periods cancel running operations); if it has not finished by `deadlineMs`,
 * `abandon` runs instead (it names what still runs and removes what others find the daemon
 * by), and the daemon exits without waiting further.
 */
export async function stopWithin(deadlineMs: number, orderly: () => Promise<void>, abandon: () => Promise<void>): Promise<StopOutcome> {
  const timer = new AbortController();
  let outcome: StopOutcome;
  try {
    outcome = await Promise.race([
      orderly().then((): StopOutcome => 'stopped'),
      sleep(deadlineMs, 'abandoned' as const, { signal: timer.signal }).catch((): StopOutcome => 'stopped'),
    ]);
  } finally {
    timer.abort();
  }
  if (outcome === 'abandoned') await abandon();
  return outcome;
}
