/**
 * One queue per key: work under the same key runs one at a time in call order, work under
 * different keys runs in parallel. Idle keys cost nothing (their entry is dropped).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` holding every key in `keys`. All keys are queued for at once, synchronously, so
   * work only ever waits for work that called earlier: there is no lock order to respect and
   * no deadlock between callers taking overlapping sets of keys.
   */
  async run<T>(keys: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const queued = [...new Set(typeof keys === 'string' ? [keys] : keys)].map((key) => {
      const previous = this.tails.get(key) ?? Promise.resolve();
      const tail = previous.then(() => mine);
      this.tails.set(key, tail);
      return { key, previous, tail };
    });
    try {
      await Promise.all(queued.map((q) => q.previous));
      return await fn();
    } finally {
      release();
      for (const { key, tail } of queued) if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently held or waited for, for diagnostics and shutdown. */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }

  /** Resolves when nothing holds or waits for any key. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()]);
  }
}
