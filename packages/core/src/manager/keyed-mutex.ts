/**
 * One queue per key: work under the same key runs one at a time in arrival order, work under
 * different keys runs in parallel. Idle keys cost nothing (their entry is dropped).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` holding every key in `keys`. Keys are taken in the order given, so callers that
   * need several keys must always list them in the same order (the manager takes a volume's
   * backup key before its state key) to rule out deadlock.
   */
  async run<T>(keys: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    const list = typeof keys === 'string' ? [keys] : keys;
    const releases: Array<() => void> = [];
    try {
      for (const key of list) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
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

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
