import { EventEmitter } from 'node:events';
import { ConvoyError } from '@convoy/core/lite';
import { describe, expect, it } from 'vitest';
import { cancelOnClose, DETACH_HEADER, OperationRegistry } from './operations.js';

/** A response as cancelOnClose sees it: it closes, finished or not. */
class Response extends EventEmitter {
  writableFinished = false;
}

describe('operations a client can ask about after closing its connection', () => {
  it('answers how an operation ended: finished, failed, or cancelled with the reason', async () => {
    const ops = new OperationRegistry();
    ops.track('a', Promise.resolve('ok'));
    ops.track('b', Promise.reject(new ConvoyError('STORE_ERROR', 'disk full')));
    ops.track('c', Promise.reject(new ConvoyError('CANCELLED', 'cancelled: the client closed its connection')));
    expect(await ops.outcome('a')).toEqual({ id: 'a', state: 'finished' });
    expect(await ops.outcome('b')).toMatchObject({ id: 'b', state: 'failed', error: { code: 'STORE_ERROR', message: 'disk full' } });
    expect(await ops.outcome('c')).toMatchObject({ id: 'c', state: 'cancelled', error: { code: 'CANCELLED' } });
  });

  it('waits while the operation runs', async () => {
    const ops = new OperationRegistry();
    let finish!: () => void;
    ops.track('slow', new Promise<void>((resolve) => (finish = resolve)));
    let answered = false;
    const asking = ops.outcome('slow').then((o) => {
      answered = true;
      return o;
    });
    await Promise.resolve();
    expect(answered).toBe(false);
    finish();
    expect(await asking).toEqual({ id: 'slow', state: 'finished' });
  });

  it('an unknown id is NOT_FOUND; old outcomes are forgotten past the last 256', async () => {
    const ops = new OperationRegistry();
    await expect(ops.outcome('never')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (let i = 0; i < 257; i++) ops.track(`op-${i}`, Promise.resolve());
    await new Promise((resolve) => setImmediate(resolve));
    await expect(ops.outcome('op-0')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await ops.outcome('op-256')).toEqual({ id: 'op-256', state: 'finished' });
  });
});

describe('cancelOnClose', () => {
  it('aborts with CANCELLED when the connection closes before the answer, not after it', () => {
    const early = new Response();
    const signal = cancelOnClose({}, early);
    early.emit('close');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ code: 'CANCELLED' });

    const answered = new Response();
    const kept = cancelOnClose({}, answered);
    answered.writableFinished = true;
    answered.emit('close');
    expect(kept.aborted).toBe(false);
  });

  it(`never aborts for a detached client (${DETACH_HEADER}: 1)`, () => {
    const response = new Response();
    const signal = cancelOnClose({ [DETACH_HEADER]: '1' }, response);
    response.emit('close');
    expect(signal.aborted).toBe(false);
  });
});
