import { createReadStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { ConvoyError, toConvoyError } from '../errors.js';

export interface PackOptions {
  /**
   * Called for each entry that cannot be archived (sockets, fifos, device nodes): they hold no
   * data, and `extractTarSafely` refuses them, so archiving them would make the archive
   * unrestorable.
   */
  onSkip?: (relativePath: string, kind: string) => void;
}

/**
 * Bytes read from a file per chunk: large enough to keep syscalls few, small enough for 2
 * cores. Chunks are not recycled: tar-stream queues the very buffers it is given until the
 * consumer reads them, so a reused buffer would be overwritten while still queued.
 */
const READ_CHUNK = 256 * 1024;
/** Files up to this size are read whole, without a stream. */
const SMALL_FILE = 64 * 1024;

/**
 * Streams a plain tar of `dir`: directories, regular files, symlinks and hard links, with
 * modes, owners and modification times. The root itself is the entry `./`, so its mode and
 * owner survive a round trip (PostgreSQL refuses a data directory that is not 0700). Entries
 * come in sorted order, parents before children, so the same tree always gives the same tar.
 * A file that changes size while it is read fails the stream: archive snapshots, not live data.
 */
export function packDirectory(dir: string, opts: PackOptions = {}): Readable {
  const pack = tar.pack();
  // Every failure reaches the caller through the Node stream below; once the caller has gone
  // (destroyed it, e.g. because the store failed), tar-stream still emits the abort on `pack`,
  // and with no listener that would be an uncaught error taking the whole daemon down.
  pack.on('error', () => undefined);
  addTree(pack, dir, opts).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(toConvoyError(err)),
  );
  // tar-stream is built on streamx; hand callers a genuine Node stream.
  return Readable.from(pack, { objectMode: false });
}

async function addTree(pack: tar.Pack, root: string, opts: PackOptions): Promise<void> {
  const rootStats = await fs.lstat(root).catch((err: unknown) => {
    throw new ConvoyError('NOT_FOUND', `cannot archive ${root}: ${(err as Error).message}`, { cause: err });
  });
  if (!rootStats.isDirectory()) throw new ConvoyError('INVALID_ARGUMENT', `cannot archive ${root}: not a directory`);
  await addEntry(pack, { name: './', type: 'directory', ...attributes(rootStats) });
  const firstPathOfInode = new Map<string, string>();
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relDir = pending.pop() as string;
    const names = (await fs.readdir(path.join(root, relDir))).sort();
    const subdirs: string[] = [];
    for (const name of names) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const abs = path.join(root, rel);
      const stats = await fs.lstat(abs);
      if (stats.isDirectory()) {
        await addEntry(pack, { name: rel, type: 'directory', ...attributes(stats) });
        subdirs.push(rel);
      } else if (stats.isSymbolicLink()) {
        await addEntry(pack, { name: rel, type: 'symlink', linkname: await fs.readlink(abs), ...attributes(stats) });
      } else if (stats.isFile()) {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? firstPathOfInode.get(inode) : undefined;
        if (first !== undefined) {
          await addEntry(pack, { name: rel, type: 'link', linkname: first, ...attributes(stats) });
        } else {
          if (stats.nlink > 1) firstPathOfInode.set(inode, rel);
          await addFile(pack, rel, abs, stats);
        }
      } else {
        opts.onSkip?.(rel, kindOf(stats));
      }
    }
    // Depth first in sorted order: push in reverse so the smallest name is walked next.
    pending.push(...subdirs.reverse());
  }
}

/** A tar header block, and the unit file contents are padded to. */
const TAR_BLOCK = 512;
/** The two zero blocks that end a tar. */
const TAR_END = 2 * TAR_BLOCK;

/**
 * About how many bytes `packDirectory(dir)` will stream, from one walk of metadata (no data is
 * read): a header per entry plus each file's padded contents. For progress only; it misses
 * long-name headers, and skips what changes while it walks.
 */
export async function estimatePackedSize(dir: string): Promise<number> {
  let bytes = TAR_END + TAR_BLOCK;
  const pending = [dir];
  while (pending.length > 0) {
    const entries = await fs.readdir(pending.pop() as string, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const abs = path.join(entry.parentPath, entry.name);
      bytes += TAR_BLOCK;
      if (entry.isDirectory()) pending.push(abs);
      else if (entry.isFile()) bytes += Math.ceil(((await fs.lstat(abs).catch(() => undefined))?.size ?? 0) / TAR_BLOCK) * TAR_BLOCK;
    }
  }
  return bytes;
}

function attributes(stats: Stats): Pick<tar.Headers, 'mode' | 'uid' | 'gid' | 'mtime'> {
  return { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: stats.mtime };
}

function addEntry(pack: tar.Pack, header: tar.Headers, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (content) pack.entry(header, content, done);
    else pack.entry(header, done);
  });
}

function changedWhileRead(abs: string, cause?: unknown): ConvoyError {
  return new ConvoyError('INVALID_ARGUMENT', `cannot archive ${abs}: it changed size while being read (archive a snapshot, not live data)`, { cause });
}

async function addFile(pack: tar.Pack, rel: string, abs: string, stats: Stats): Promise<void> {
  if (stats.size <= SMALL_FILE) {
    // One read and no stream per file: most of a directory's files are small.
    const content = await fs.readFile(abs);
    if (content.length !== stats.size) throw changedWhileRead(abs);
    return addEntry(pack, { name: rel, type: 'file', size: stats.size, ...attributes(stats) }, content);
  }
  let sink: ReturnType<tar.Pack['entry']> | undefined;
  const written = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ name: rel, type: 'file', size: stats.size, ...attributes(stats) }, (err) =>
      err ? reject((pack as unknown as { destroying: boolean }).destroying ? readerGone(err) : changedWhileRead(abs, err)) : resolve(),
    );
  });
  written.catch(() => undefined);
  // tar-stream throws (rejecting `written` above) when the archive was destroyed before this
  // entry: its reader went away, e.g. a cancelled backup.
  if (sink === undefined) throw readerGone(await written.catch((err: unknown) => err));
  const entry = sink;
  // Failures arrive through the entry's callback (`written`, awaited below); the entry also
  // emits them, and unheard that would be an uncaught error when the archive's reader goes away.
  entry.on('error', () => undefined);
  if (stats.size > 0) {
    const source = createReadStream(abs, { highWaterMark: READ_CHUNK, end: stats.size - 1 });
    try {
      for await (const chunk of source) {
        if (!entry.write(chunk as Buffer)) await drained(entry);
      }
    } catch (err) {
      entry.destroy(err as Error);
      await written.catch(() => undefined);
      throw err;
    }
  }
  entry.end();
  await written;
}

function readerGone(cause: unknown): ConvoyError {
  return new ConvoyError('INTERNAL', 'the archive stream was closed before it was read to the end', { cause });
}

/** Resolves on 'drain'; rejects when the entry closes first (the consumer went away). */
function drained(entry: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      entry.off('drain', onDrain);
      entry.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(readerGone(undefined));
    entry.on('drain', onDrain);
    entry.on('close', onClose);
  });
}

function kindOf(stats: Stats): string {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}
