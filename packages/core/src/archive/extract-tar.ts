import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { ConvoyError, toConvoyError } from '../errors.js';
import { ensureRealParents, lstatOrMissing, makeRealDirectory } from '../state/paths-on-disk.js';
import { TarEndCheck } from './tar-end-check.js';

export interface ExtractReport {
  entries: number;
  bytes: number;
  /** Files whose setuid/setgid bits were not restored (see ExtractOptions.keepSetId). */
  setIdCleared: string[];
}

export interface ExtractOptions {
  /**
   * Restore setuid and setgid bits of files as archived. Off by default: whoever can write to a
   * backup store could otherwise plant a setuid-root shell in every volume restored from it.
   * Only for stores written by no one less trusted than root.
   */
  keepSetId?: boolean;
}

const SET_ID_BITS = 0o6000;

interface DeferredDirectory {
  abs: string;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  mtime: Date | undefined;
}

/** Owners are restored only when we may set them, as `tar` does for root. */
const restoreOwners = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Extracts a tar stream into `destDir` (created if missing) and refuses, with INVALID_ARGUMENT
 * naming the entry, anything that could write outside it: absolute paths, `..`, hard links whose
 * target leaves `destDir`, device nodes and fifos. Symlinks are data: restored verbatim wherever
 * they point (`etc -> /etc`, `pg_wal -> /var/lib/...`), because extraction never writes through
 * one: every path component must be a real directory (checked with lstat), a file is created
 * with O_NOFOLLOW|O_EXCL, and an existing file or link is replaced, never opened. Setuid and
 * setgid bits are cleared unless `opts.keepSetId`. A malformed or truncated tar is CORRUPT. On
 * failure `destDir` holds a partial tree: extract into a fresh directory and remove it when
 * this throws.
 */
export async function extractTarSafely(input: Readable, destDir: string, opts: ExtractOptions = {}): Promise<ExtractReport> {
  const root = path.resolve(destDir);
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  const extract = tar.extract();
  const checked = new TarEndCheck();
  // pipeline() sees a source that failed before we got here (an already destroyed stream) as
  // well as one that fails later, and passes either on to the extractor: no failure is lost.
  pipeline(input, checked, (err) => {
    if (err) extract.destroy(err);
  });
  checked.pipe(extract as unknown as NodeJS.WritableStream);
  const directories: DeferredDirectory[] = [];
  const report: ExtractReport = { entries: 0, bytes: 0, setIdCleared: [] };
  try {
    for await (const entry of extract) {
      report.bytes += await extractEntry(root, entry, directories, { opts, report });
      report.entries += 1;
    }
  } catch (err) {
    checked.unpipe(extract as unknown as NodeJS.WritableStream);
    input.destroy();
    checked.destroy();
    if (err instanceof ConvoyError) throw err;
    throw new ConvoyError('CORRUPT', `the archive is not a readable tar: ${toConvoyError(err).message}`, { cause: err });
  }
  // Directory modes and times last, deepest first: writing children changes a directory's
  // mtime, and a read-only directory would refuse its children.
  for (const dir of directories.reverse()) await applyAttributes(dir.abs, dir, false);
  return report;
}

async function extractEntry(root: string, entry: tar.Entry, directories: DeferredDirectory[], files: FilePolicy): Promise<number> {
  const { header } = entry;
  const name = header.name;
  const rel = safeRelativePath(name, name);
  switch (header.type) {
    case 'directory': {
      entry.resume();
      const abs = rel === '' ? root : path.join(root, rel);
      if (rel !== '') {
        await ensureParents(root, rel, name);
        await makeDirectory(abs, name);
      }
      directories.push({ abs, mode: modeOf(header, 0o755), uid: header.uid, gid: header.gid, mtime: header.mtime });
      return 0;
    }
    case 'file':
    case 'contiguous-file':
      return writeFile(root, requireNonRoot(rel, name), entry, files);
    case 'symlink': {
      entry.resume();
      const target = header.linkname ?? '';
      if (target === '' || target.includes('\0')) throw unsafe(name, 'is a symlink with an empty or malformed target');
      const abs = await replaceable(root, requireNonRoot(rel, name), name);
      await fs.symlink(target, abs);
      await applyAttributes(abs, { mode: 0, uid: header.uid, gid: header.gid, mtime: header.mtime }, true);
      return 0;
    }
    case 'link': {
      entry.resume();
      const targetRel = safeRelativePath(header.linkname ?? '', name);
      if (targetRel === '') throw unsafe(name, 'is a hard link to the target directory itself');
      await ensureParents(root, targetRel, name, { create: false });
      const target = path.join(root, targetRel);
      const targetStats = await fs.lstat(target).catch(() => undefined);
      if (!targetStats || targetStats.isDirectory())
        throw unsafe(name, `is a hard link to ${JSON.stringify(header.linkname)}, which the archive did not create before it`);
      const abs = await replaceable(root, requireNonRoot(rel, name), name);
      await fs.link(target, abs);
      return 0;
    }
    case 'pax-global-header':
      entry.resume();
      return 0;
    default:
      entry.resume();
      throw unsafe(name, `is a ${header.type ?? 'special file'}; archives with device nodes, fifos or unknown entry types are refused`);
  }
}

/** Normalises an entry name to a path inside the target directory ('' is the directory itself). */
function safeRelativePath(name: string, entryName: string): string {
  if (name.includes('\0')) throw unsafe(entryName, 'has a NUL byte in its path');
  if (path.posix.isAbsolute(name)) throw unsafe(entryName, 'has an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(entryName, 'has a ".." path component');
  return parts.join('/');
}

function requireNonRoot(rel: string, name: string): string {
  if (rel === '') throw unsafe(name, 'would replace the target directory itself');
  return rel;
}

/**
 * Creates (or checks) every parent of `rel` inside `root`, refusing a component that is a
 * symlink or a file, so nothing is ever written through a link the archive planted earlier.
 */
async function ensureParents(root: string, rel: string, name: string, opts: { create: boolean } = { create: true }): Promise<void> {
  await ensureRealParents(root, rel, (problem) => unsafe(name, problem), opts);
}

async function makeDirectory(abs: string, name: string): Promise<void> {
  await makeRealDirectory(abs, () => unsafe(name, 'is a directory where the archive already put a file or symlink'));
}

/** The path for a new non-directory entry, with any earlier file or symlink there removed (never followed). */
async function replaceable(root: string, rel: string, name: string): Promise<string> {
  await ensureParents(root, rel, name);
  const abs = path.join(root, rel);
  const existing = await lstatOrMissing(abs);
  if (existing?.isDirectory()) throw unsafe(name, 'would replace a directory the archive created earlier');
  if (existing) await fs.unlink(abs);
  return abs;
}

/** What the caller allows for file modes, and where the report of what was changed goes. */
interface FilePolicy {
  opts: ExtractOptions;
  report: ExtractReport;
}

async function writeFile(root: string, rel: string, entry: tar.Entry, files: FilePolicy): Promise<number> {
  const abs = await replaceable(root, rel, entry.header.name);
  // O_EXCL|O_NOFOLLOW: the path was just cleared, so anything appearing there is refused.
  const fh = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let bytes = 0;
  try {
    for await (const chunk of entry) {
      const data = chunk as Buffer;
      let offset = 0;
      while (offset < data.length) offset += (await fh.write(data, offset, data.length - offset)).bytesWritten;
      bytes += data.length;
    }
    await applyFileAttributes(fh, entry.header, fileMode(entry.header, rel, files));
  } finally {
    await fh.close();
  }
  return bytes;
}

function fileMode(header: tar.Headers, rel: string, files: FilePolicy): number {
  const mode = modeOf(header, 0o644);
  if (files.opts.keepSetId || (mode & SET_ID_BITS) === 0) return mode;
  files.report.setIdCleared.push(rel);
  return mode & ~SET_ID_BITS;
}

async function applyFileAttributes(fh: fs.FileHandle, header: tar.Headers, mode: number): Promise<void> {
  if (restoreOwners && header.uid !== undefined && header.gid !== undefined) await fh.chown(header.uid, header.gid);
  // After chown, which clears set-id bits.
  await fh.chmod(mode);
  if (header.mtime) await fh.utimes(header.mtime, header.mtime);
}

async function applyAttributes(abs: string, attrs: Omit<DeferredDirectory, 'abs'>, isSymlink: boolean): Promise<void> {
  if (restoreOwners && attrs.uid !== undefined && attrs.gid !== undefined) await fs.lchown(abs, attrs.uid, attrs.gid);
  if (!isSymlink) await fs.chmod(abs, attrs.mode);
  if (attrs.mtime) await fs.lutimes(abs, attrs.mtime, attrs.mtime);
}

function modeOf(header: tar.Headers, fallback: number): number {
  return header.mode === undefined ? fallback : header.mode & 0o7777;
}

function unsafe(entryName: string, problem: string): ConvoyError {
  return new ConvoyError('INVALID_ARGUMENT', `archive entry ${JSON.stringify(entryName)} ${problem}; nothing outside the target directory is ever written`, {
    details: { entry: entryName },
  });
}
