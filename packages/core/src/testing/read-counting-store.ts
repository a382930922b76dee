/**
 * A store that counts the bytes read from it (whole objects, ranges and streams), so a test or
 * the bench can assert how much a restore or a standby sync fetched, on bytes, never on time.
 */
import { Transform } from 'node:stream';
import { forwardStore } from '../forward-store.js';
import type { ObjectStore } from '../objectstore.js';

export interface ReadCountingStore {
  store: ObjectStore;
  /** Bytes read since creation or the last `reset`. */
  readonly bytesRead: number;
  reset(): void;
}

export function countReads(inner: ObjectStore): ReadCountingStore {
  let bytesRead = 0;
  const count = <T extends Buffer | undefined>(data: T): T => {
    bytesRead += data?.length ?? 0;
    return data;
  };
  const store = forwardStore(inner, {
    get: async (...args) => count(await inner.get(...args)),
    getRange: async (...args) => count(await inner.getRange(...args)),
    getStream: async (...args) => {
      const stream = await inner.getStream(...args);
      if (!stream) return stream;
      const counter = new Transform({
        transform: (chunk: Buffer, _enc, done) => {
          bytesRead += chunk.length;
          done(null, chunk);
        },
      });
      stream.on('error', (err) => counter.destroy(err));
      return stream.pipe(counter);
    },
  });
  return {
    store,
    get bytesRead() {
      return bytesRead;
    },
    reset: () => {
      bytesRead = 0;
    },
  };
}
