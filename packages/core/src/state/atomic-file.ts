import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readBoundedFile } from '../bounded/file.js';
import { ConvoyError, isConvoyError } from '../errors.js';

/** fsync a directory so that a rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `file` atomically: write a temp file beside it, fsync, rename over the old one,
 * fsync the directory. Never delete-then-rename: a crash leaves the old or the new file.
 * `data` may be a stream (chunks are written as they come); if it fails, no file changes.
 */
export async function writeFileAtomic(file: string, data: string | Buffer | AsyncIterable<Uint8Array>): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) await fh.writeFile(data);
    else for await (const chunk of data) await fh.write(chunk);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** State files are small; a bigger one is not ours (or is damaged), and is not read into memory. */
const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;

/** Reads JSON; undefined when the file does not exist; STATE_ERROR when it cannot be parsed. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = (await readBoundedFile(file, { what: 'state file', maxBytes: MAX_STATE_FILE_BYTES, code: 'STATE_ERROR' })).toString('utf8');
  } catch (err) {
    if (isConvoyError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ConvoyError('STATE_ERROR', `state file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Removes a file and fsyncs its directory; a missing file is fine. */
export async function removeFileDurably(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await fsyncDir(path.dirname(file));
}
