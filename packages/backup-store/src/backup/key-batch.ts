import type { ObjectStore } from '@convoy/core';

/** Collects keys to delete and sends them in batches, so a sweep of a large tree stays small in memory. */
export class KeyBatch {
  private keys: string[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly batchSize = 1000,
  ) {}

  async add(key: string): Promise<void> {
    this.keys.push(key);
    if (this.keys.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.keys.length === 0) return;
    const keys = this.keys;
    this.keys = [];
    await this.store.delete(keys);
  }
}
