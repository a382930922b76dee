import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

describe('KeyedMutex', () => {
  it('runs work under one key in arrival order, one at a time, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const job = (key: string, id: string, ms: number) =>
      mutex.run(key, async () => {
        events.push(`start ${id}`);
        await sleep(ms);
        events.push(`end ${id}`);
        return id;
      });
    const results = await Promise.all([job('a', 'a1', 30), job('a', 'a2', 1), job('b', 'b1', 5)]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(events.indexOf('end a1')).toBeLessThan(events.indexOf('start a2'));
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'));
    expect(mutex.busyKeys).toEqual([]);
  });

  it('releases a key when the work throws, and takes several keys in the order given', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('a', () => Promise.reject(new Error('fails')))).rejects.toThrow('fails');
    const order: string[] = [];
    const both = mutex.run(['x', 'y'], async () => {
      order.push('both');
      await sleep(10);
    });
    const onlyY = mutex.run('y', async () => {
      order.push('y');
    });
    await Promise.all([both, onlyY, mutex.run('a', async () => order.push('a again'))]);
    expect(order.indexOf('both')).toBeLessThan(order.indexOf('y'));
    expect(order).toContain('a again');
  });

  it('drains: resolves once nothing holds or waits for a key', async () => {
    const mutex = new KeyedMutex();
    let finished = false;
    void mutex.run('k', async () => {
      await sleep(20);
      finished = true;
    });
    await mutex.drain();
    expect(finished).toBe(true);
  });
});
