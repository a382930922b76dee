import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { failOnCancel, throwIfCancelled } from '../cancelled.js';
import { ConvoyError } from '../errors.js';
import { validateKeyPrefix, validateObjectKey } from '../object-key.js';
import { defineObjectStore, type ObjectInfo, type ObjectStore, type ObjectStoreStats, type StoreCallOptions, validateRange } from '../objectstore.js';

interface StoredObject {
  data: Buffer;
  mtime: Date;
}

/**
 * An object store in a Map, for the engine's own tests (as keyv's core tests use an in-memory
 * adapter): it keeps the whole `ObjectStore` contract (checked by the compliance suite), so the
 * engine is tested without any store package. Objects are copied in and out, so a caller that
 * reuses a buffer cannot change what is stored. `clock` sets the server time objects get, so
 * tests can age a lock or a block without waiting.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly stats: ObjectStoreStats = { get: 0, put: 0, head: 0, list: 0, delete: 0 };
  private readonly objects = new Map<string, StoredObject>();
  private closed = false;

  constructor(
    readonly url = 'mem://store',
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(key: string, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    this.use('get');
    throwIfCancelled(opts.signal, `reading ${key}`);
    const found = this.objects.get(validateObjectKey(key));
    return found ? Buffer.from(found.data) : undefined;
  }

  async getStream(key: string, opts: StoreCallOptions = {}): Promise<Readable | undefined> {
    const data = await this.get(key, opts);
    return data ? failOnCancel(Readable.from([data]), opts.signal, `reading ${key}`) : undefined;
  }

  async getRange(key: string, offset: number, length: number, into?: Buffer, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    validateRange(offset, length, into);
    this.use('get');
    throwIfCancelled(opts.signal, `reading ${key}`);
    const found = this.objects.get(validateObjectKey(key));
    if (!found) return undefined;
    const bytes = found.data.subarray(offset, offset + length);
    if (!into) return Buffer.from(bytes);
    bytes.copy(into);
    return into.subarray(0, bytes.length);
  }

  async put(key: string, body: Buffer | Readable, opts: StoreCallOptions = {}): Promise<void> {
    this.use('put');
    validateObjectKey(key);
    const what = `writing ${key}`;
    throwIfCancelled(opts.signal, what);
    // The whole body is read before the object appears: a reader sees the old object or the new one.
    const data = Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.concat(await failOnCancel(body, opts.signal, what).toArray());
    // A signal that fired while the body was read cancels the write too.
    throwIfCancelled(opts.signal, what);
    this.objects.set(key, { data, mtime: this.clock() });
  }

  async head(key: string, opts: StoreCallOptions = {}): Promise<ObjectInfo | undefined> {
    this.use('head');
    throwIfCancelled(opts.signal, `checking ${key}`);
    const found = this.objects.get(validateObjectKey(key));
    return found ? { key, size: found.data.length, mtime: found.mtime } : undefined;
  }

  async *list(prefix: string, opts: StoreCallOptions = {}): AsyncIterable<ObjectInfo> {
    this.use('list');
    validateKeyPrefix(prefix);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    for (const key of keys) {
      throwIfCancelled(opts.signal, `listing ${prefix || '/'}`);
      const found = this.objects.get(key);
      if (found) yield { key, size: found.data.length, mtime: found.mtime };
    }
  }

  /** For tests: the keys under `prefix`, sorted, without counting a request. */
  keysUnder(prefix: string): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async listDir(prefix: string, opts: StoreCallOptions = {}): Promise<{ files: string[]; dirs: string[] }> {
    this.use('list');
    validateKeyPrefix(prefix);
    if (prefix !== '' && !prefix.endsWith('/'))
      throw new ConvoyError('INVALID_ARGUMENT', `listDir needs a directory prefix ending with /, got ${JSON.stringify(prefix)}`);
    throwIfCancelled(opts.signal, `listing ${prefix || '/'}`);
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) files.add(rest);
      else dirs.add(rest.slice(0, slash));
    }
    return { files: [...files].sort(), dirs: [...dirs].sort() };
  }

  async delete(keys: string[], opts: StoreCallOptions = {}): Promise<void> {
    this.use('delete');
    for (const key of keys) validateObjectKey(key);
    throwIfCancelled(opts.signal, `deleting ${keys.length} objects`);
    for (const key of keys) this.objects.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Sets an object's server time, as an old lock or block would carry (tests of grace periods and stale locks). */
  age(key: string, mtime: Date): void {
    const found = this.objects.get(key);
    if (!found) throw new ConvoyError('NOT_FOUND', `no object ${key} to age`);
    found.mtime = mtime;
  }

  private use(kind: keyof ObjectStoreStats): void {
    if (this.closed) throw new ConvoyError('STORE_ERROR', `object store ${this.url} is closed`);
    this.stats[kind] += 1;
  }
}

/**
 * `mem://<name>` stores for tests that go through the registry (the volume manager's): each name
 * is one store for the life of the definition, so a backup and its restore see the same objects.
 */
export function memoryStoreDefinition() {
  const stores = new Map<string, MemoryObjectStore>();
  return defineObjectStore({
    scheme: 'mem',
    description: 'Backup store in memory, for tests: mem://<name>.',
    open: async (url) => {
      const name = `mem://${url.host}${url.pathname}`;
      const store = stores.get(name) ?? new MemoryObjectStore(name);
      stores.set(name, store);
      // Closing a handle must not drop the objects; hand out a view whose close does nothing.
      return Object.create(store, { close: { value: async () => {} } }) as MemoryObjectStore;
    },
    checkOptions: (options) => {
      const keys = Object.keys(options);
      if (keys.length > 0) throw new ConvoyError('INVALID_ARGUMENT', `mem:// stores take no options; got ${keys.join(', ')}`);
    },
  });
}

/**
 * Puts every file under `dir` into `store`, keyed by its path relative to `dir`: a store another
 * program wrote to disk (the Convoy v0.5 fixture) becomes a store the engine reads.
 */
export async function copyDirectoryIntoStore(dir: string, store: ObjectStore): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    await store.put(path.relative(dir, file).split(path.sep).join('/'), await readFile(file));
  }
}
