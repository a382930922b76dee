import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Errors of a connection that died or went silent: worth fetching the rest again. */
const NETWORK_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);

export function isNetworkError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return NETWORK_ERRORS.has(e?.code ?? '') || e?.name === 'TimeoutError';
}

/** The wait before fetching a body again (exponential, full jitter); rejects at once when `signal` fires. */
export function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  return sleep(Math.random() * 100 * 2 ** attempt, undefined, signal ? { signal } : {});
}

export interface ResumeOptions {
  /** The object's length, from the first response; a body that ends short of it is resumed. */
  length: number | undefined;
  /** Fetches the object again from byte `from` on (a ranged GET pinned to the same version). */
  fetchFrom: (from: number) => Promise<Readable>;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  onRetry: () => void;
  /** Wraps the error that ends the stream (attempts spent, not a network failure, or cancelled). */
  fail: (err: unknown) => Error;
  /** Cancels the download: the body in flight is destroyed and the stream fails, never resumed. */
  signal?: AbortSignal | undefined;
}

/**
 * An object's body that survives its connection: when the download is cut or stalls (the
 * socket's idle timeout destroys it), the rest is fetched from where it stopped with a ranged
 * GET, with backoff, up to `maxAttempts`. The SDK retries requests, never a body it has already
 * handed over; this is what makes a cut GET of a 50 GB archive cost one range, not a restart.
 */
export function resumableBody(first: Readable, opts: ResumeOptions): Readable {
  const { signal } = opts;
  let body = first;
  const chunks = async function* () {
    let received = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        for await (const chunk of body) {
          received += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (opts.length === undefined || received >= opts.length) return;
        throw Object.assign(new Error(`the body ended after ${received} of ${opts.length} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      } catch (err) {
        body.destroy();
        if (signal?.aborted || attempt >= opts.maxAttempts || !isNetworkError(err)) throw opts.fail(err);
        opts.onRetry();
        try {
          await backoff(attempt, signal);
          body = await opts.fetchFrom(received);
        } catch (refetchError) {
          throw opts.fail(refetchError);
        }
        // Cancelled just as the rest arrived: it is not read.
        if (signal?.aborted) body.destroy();
      }
    }
  };
  const out = Readable.from(chunks(), { objectMode: false });
  if (signal) {
    // The generator waits on the body's next chunk: destroying the body is what wakes it.
    const onAbort = (): void => {
      body.destroy(new Error('the read was cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
  }
  return out;
}
