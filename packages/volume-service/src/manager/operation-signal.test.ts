// The operation's signal aborts with whichever of the daemon's and the caller's fires first, and
// takes a listener per store call in flight without Node's leak warning.
import { ConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { operationSignal } from './operation-signal.js';

describe('operationSignal', () => {
  it('is absent without a daemon or caller signal, and aborts with the reason of whichever fires first', () => {
    expect(operationSignal(undefined, undefined)).toEqual({});
    const daemon = new AbortController();
    const caller = new AbortController();
    const { signal } = operationSignal(daemon.signal, caller.signal);
    const gone = new ConvoyError('CANCELLED', 'cancelled: the client closed its connection');
    caller.abort(gone);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(gone);
    daemon.abort(new ConvoyError('BUSY', 'cancelled because the daemon is stopping'));
    expect(signal?.reason).toBe(gone);
  });

  it('is a signal of its own even with one source, with no listener limit (each store call in flight listens on it)', async () => {
    const daemon = new AbortController();
    const { signal } = operationSignal(daemon.signal, undefined);
    expect(signal).not.toBe(daemon.signal);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 50; i++) signal!.addEventListener('abort', () => undefined);
      // Node emits the warning on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    daemon.abort(new Error('stopping'));
    expect(signal?.aborted).toBe(true);
  });
});
