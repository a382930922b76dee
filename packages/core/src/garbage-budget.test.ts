import { describe, expect, it } from 'vitest';
import { collectGarbage, GarbageBudget } from './garbage-budget.js';

const MiB = 1024 * 1024;

describe('GarbageBudget', () => {
  it('collects each time the noted bytes reach the budget, and never holds a budget uncollected', () => {
    let collections = 0;
    const budget = new GarbageBudget(8 * MiB, () => (collections += 1));
    const collectedAt: number[] = [];
    for (let block = 0; block < 10; block++) {
      if (budget.add(3 * MiB)) collectedAt.push(block);
      expect(budget.uncollectedBytes).toBeLessThan(8 * MiB);
    }
    expect(collectedAt).toEqual([2, 5, 8]);
    // 30 MiB noted in 3 MiB pieces: a collection at 9, 18 and 27 MiB, 3 MiB left over.
    expect(collections).toBe(3);
    expect(budget.collections).toBe(3);
    expect(budget.uncollectedBytes).toBe(3 * MiB);
  });

  it('a single buffer larger than the budget is collected at once', () => {
    let collections = 0;
    const budget = new GarbageBudget(MiB, () => (collections += 1));
    expect(budget.add(5 * MiB)).toBe(true);
    expect(collections).toBe(1);
    expect(budget.uncollectedBytes).toBe(0);
  });
});

describe('collectGarbage', () => {
  it('really collects: a buffer nothing refers to is gone afterwards', async () => {
    const ref = (() => new WeakRef(Buffer.alloc(4 * MiB)))();
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
