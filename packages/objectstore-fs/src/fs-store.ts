import { type Dirent, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  ConvoyError,
  cancelledError,
  failOnCancel,
  fsyncDir,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
  type StoreCallOptions,
  throwIfCancelled,
  validateKeyPrefix,
  validateObjectKey,
  validateRange,
  writeFileAtomic,
} from '@convoy/core';

const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** A put races a delete that prunes the directory it just created; it retries this often. */
const PUT_ATTEMPTS = 4;

/**
 * A backup store in a directory (local disk or an NFS mount). Objects are files; a put writes a
 * temp file beside the target, fsyncs it, renames it over the target and fsyncs the directory,
 * so readers see the old object or the new one and a crash loses neither. Deletes remove exact
 * keys and then the directories they leave empty, up to (never including) the top-level one.
 */
export class FsObjectStore implements ObjectStore {
  readonly stats: ObjectStoreStats = { get: 0, put: 0, head: 0, list: 0, delete: 0 };

  constructor(
    /** Absolute path of the store's directory. */
    readonly root: string,
    readonly url: string,
  ) {}

  async get(key: string, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    const file = this.fileOf(key);
    this.stats.get += 1;
    const { signal } = opts;
    throwIfCancelled(signal, `reading ${key}`);
    try {
      return await fs.readFile(file, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) throw cancelledError(signal, `reading ${key}`);
      return missing(err) ? undefined : this.fail('read', key, err);
    }
  }

  async getStream(key: string, opts: StoreCallOptions = {}): Promise<Readable | undefined> {
    const file = this.fileOf(key);
    this.stats.get += 1;
    throwIfCancelled(opts.signal, `reading ${key}`);
    try {
      const handle = await fs.open(file, 'r');
      return failOnCancel(handle.createReadStream(), opts.signal, `reading ${key}`);
    } catch (err) {
      return missing(err) ? undefined : this.fail('read', key, err);
    }
  }

  async getRange(key: string, offset: number, length: number, into?: Buffer, opts: StoreCallOptions = {}): Promise<Buffer | undefined> {
    validateRange(offset, length, into);
    const file = this.fileOf(key);
    this.stats.get += 1;
    const what = `reading ${length} bytes at ${offset} of ${key}`;
    throwIfCancelled(opts.signal, what);
    let handle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      return missing(err) ? undefined : this.fail('read', key, err);
    }
    try {
      const buffer = into ?? Buffer.allocUnsafe(length);
      let filled = 0;
      // A read may return less than asked before the end: read on until the range or the file ends.
      while (filled < length) {
        throwIfCancelled(opts.signal, what);
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (err) {
      if (err instanceof ConvoyError) throw err;
      return this.fail('read', key, err);
    } finally {
      await handle.close();
    }
  }

  async put(key: string, body: Buffer | Readable, opts: StoreCallOptions = {}): Promise<void> {
    const file = this.fileOf(key);
    this.stats.put += 1;
    const what = `writing ${key}`;
    throwIfCancelled(opts.signal, what);
    // A signal that fires while a stream is written fails the stream: the temp file is removed.
    const source = Buffer.isBuffer(body) ? body : failOnCancel(body, opts.signal, what);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.writeAtomically(file, source);
        return;
      } catch (err) {
        if (opts.signal?.aborted) throw cancelledError(opts.signal, what);
        // ENOENT here means a concurrent delete pruned the new directory before our temp file
        // was created; nothing was consumed from the body yet, so trying again is safe.
        if (!(missing(err) && attempt < PUT_ATTEMPTS)) return this.fail('write', key, err);
      }
    }
  }

  async head(key: string, opts: StoreCallOptions = {}): Promise<ObjectInfo | undefined> {
    const file = this.fileOf(key);
    this.stats.head += 1;
    throwIfCancelled(opts.signal, `checking ${key}`);
    return this.stat(key, file);
  }

  private async stat(key: string, file: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(file);
      return st.isFile() ? { key, size: st.size, mtime: st.mtime } : undefined;
    } catch (err) {
      return missing(err) ? undefined : this.fail('stat', key, err);
    }
  }

  async *list(prefix: string, opts: StoreCallOptions = {}): AsyncIterable<ObjectInfo> {
    validateKeyPrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    yield* this.walk(prefix.slice(0, cut), prefix.slice(cut), opts.signal, `listing ${prefix || '/'}`);
  }

  async listDir(prefix: string, opts: StoreCallOptions = {}): Promise<{ files: string[]; dirs: string[] }> {
    if (prefix !== '' && !prefix.endsWith('/'))
      throw new ConvoyError('INVALID_ARGUMENT', `listDir needs a directory prefix ending with /, got ${JSON.stringify(prefix)}`);
    validateKeyPrefix(prefix);
    throwIfCancelled(opts.signal, `listing ${prefix || '/'}`);
    const files: string[] = [];
    const dirs: string[] = [];
    for (const entry of await this.readDir(prefix)) {
      if (entry.isDirectory()) dirs.push(entry.name);
      else if (entry.isFile()) files.push(entry.name);
    }
    return { files, dirs };
  }

  async delete(keys: string[], opts: StoreCallOptions = {}): Promise<void> {
    const files = keys.map((key) => this.fileOf(key));
    this.stats.delete += 1;
    throwIfCancelled(opts.signal, `deleting ${keys.length} objects`);
    const parents = new Set<string>();
    for (const [i, file] of files.entries()) {
      try {
        await fs.unlink(file);
        parents.add(path.dirname(file));
      } catch (err) {
        if (!missing(err)) this.fail('delete', keys[i]!, err);
      }
    }
    for (const dir of parents) await fsyncDir(dir);
    // Deepest first, so a parent is tried after its children are gone.
    for (const dir of [...parents].sort((a, b) => b.length - a.length)) await this.pruneEmptyDirs(dir);
  }

  async close(): Promise<void> {}

  private fileOf(key: string): string {
    return path.join(this.root, validateObjectKey(key));
  }

  private async writeAtomically(file: string, body: Buffer | Readable): Promise<void> {
    await this.makeDirDurably(path.dirname(file));
    await writeFileAtomic(file, body);
  }

  /** mkdir -p, then fsync the parent of every directory it created, so the new entries survive a crash. */
  private async makeDirDurably(dir: string): Promise<void> {
    const first = await fs.mkdir(dir, { recursive: true });
    if (!first) return;
    for (let created = dir; ; created = path.dirname(created)) {
      await fsyncDir(path.dirname(created));
      if (created === first) break;
    }
  }

  private async pruneEmptyDirs(from: string): Promise<void> {
    for (let dir = from; path.dirname(path.relative(this.root, dir)) !== '.'; dir = path.dirname(dir)) {
      try {
        await fs.rmdir(dir);
      } catch {
        // Not empty (or already gone): the directories above it are not empty either.
        return;
      }
      await fsyncDir(path.dirname(dir));
    }
  }

  /** Temp files of puts that never finished (the writer was killed), by their key-like path. */
  async removeStaleWrites(olderThan: Date): Promise<string[]> {
    const removed: string[] = [];
    let names: string[];
    try {
      names = await fs.readdir(this.root, { recursive: true });
    } catch (err) {
      return missing(err) ? [] : this.fail('list', '', err);
    }
    for (const rel of names.filter((n) => TEMP_FILE.test(path.basename(n))).sort()) {
      const file = path.join(this.root, rel);
      const st = await fs.lstat(file).catch(() => undefined);
      // Younger ones may belong to a put still running (on this host or another one).
      if (!st?.isFile() || st.mtime >= olderThan) continue;
      await fs.rm(file, { force: true });
      removed.push(rel);
    }
    return removed;
  }

  /** Entries of a key directory in the order that makes a depth-first walk yield keys lexically. */
  private async readDir(dirKey: string): Promise<Dirent[]> {
    this.stats.list += 1;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, dirKey), { withFileTypes: true });
    } catch (err) {
      if (missing(err)) return [];
      return this.fail('list', dirKey, err);
    }
    const sortKey = (e: Dirent): string => (e.isDirectory() ? `${e.name}/` : e.name);
    return entries.filter((e) => !TEMP_FILE.test(e.name)).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  }

  private async *walk(dirKey: string, namePrefix: string, signal: AbortSignal | undefined, what: string): AsyncIterable<ObjectInfo> {
    throwIfCancelled(signal, what);
    for (const entry of await this.readDir(dirKey)) {
      if (!entry.name.startsWith(namePrefix)) continue;
      throwIfCancelled(signal, what);
      const key = `${dirKey}${entry.name}`;
      if (entry.isDirectory()) {
        yield* this.walk(`${key}/`, '', signal, what);
      } else if (entry.isFile()) {
        const info = await this.stat(key, path.join(this.root, key));
        if (info) yield info;
      }
    }
  }

  private fail(action: string, key: string, err: unknown): never {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConvoyError('STORE_ERROR', `cannot ${action} ${key} in ${this.url}: ${why}`, { cause: err, details: { key, store: this.url } });
  }
}

function missing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
