import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@convoy/core';
import { ConvoyError } from '@convoy/core';

/** How long a stopping daemon lets running operations finish before cancelling them. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/**
 * Stopping in bounded time: wait up to `graceMs` for running operations, then cancel them
 * (their AbortSignal: pipelines stop, uploads abort, store locks are released on the way out)
 * and wait up to `graceMs` again; an operation stuck even then is abandoned with an error in the
 * log (naming what still runs) rather than keeping the daemon (its socket, its Docker spec file) alive forever.
 */
export async function drainOrCancel(drain: () => Promise<void>, cancel: AbortController, graceMs: number, log: Logger, running: () => string[]): Promise<void> {
  if (await settlesWithin(drain(), graceMs)) return;
  log.warn('operations still running after the grace period: cancelling them', { graceMs, running: running() });
  cancel.abort(new ConvoyError('BUSY', 'cancelled because the daemon is stopping'));
  if (await settlesWithin(drain(), graceMs)) return;
  log.error('operations still running after being cancelled: stopping without them', { graceMs, running: running() });
}

async function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const done = await Promise.race([work.then(() => true), sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
  timer.abort();
  return done;
}
