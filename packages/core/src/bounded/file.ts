/**
 * The one way Convoy reads a file whose path a user gave (key files, state under --root): never
 * more than `maxBytes`, so `/dev/zero`, a huge file or an endless pipe is an error naming the
 * file instead of a process that grows until the kernel kills it. Pipes (`<(...)`, /dev/stdin)
 * are read up to the bound; directories, sockets and devices are refused. A missing file is
 * NOT_FOUND, anything else unreadable the caller's code (INVALID_ARGUMENT by default); both name
 * the file and what it was for.
 */
import { promises as fs } from 'node:fs';
import { ConvoyError, type ErrorCode } from '../errors.js';

/** What to read, and how much at most. */
export interface BoundedReadOptions {
  /** What the file is, for messages: "the encryption key file". */
  what: string;
  maxBytes: number;
  /** The code of every error but NOT_FOUND: INVALID_ARGUMENT (default) for a file the user named, STATE_ERROR for our own state. */
  code?: ErrorCode;
}

const CHUNK = 64 * 1024;

export async function readBoundedFile(file: string, { what, maxBytes, code: failure = 'INVALID_ARGUMENT' }: BoundedReadOptions): Promise<Buffer> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConvoyError(code === 'ENOENT' ? 'NOT_FOUND' : failure, `cannot read ${what} ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile() && !stat.isFIFO()) {
      throw new ConvoyError(failure, `${what} ${file} is not a regular file (${kindOf(stat)}); give a file`, { details: { file } });
    }
    if (stat.isFile() && stat.size > maxBytes) throw tooLarge(failure, what, file, maxBytes);
    return await readUpTo(fh, failure, what, file, maxBytes);
  } finally {
    await fh.close();
  }
}

async function readUpTo(fh: fs.FileHandle, failure: ErrorCode, what: string, file: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buffer, 0, buffer.length, null));
    } catch (err) {
      throw new ConvoyError(failure, `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
    }
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) throw tooLarge(failure, what, file, maxBytes);
  }
}

function tooLarge(code: ErrorCode, what: string, file: string, maxBytes: number): ConvoyError {
  return new ConvoyError(code, `${what} ${file} is larger than the ${maxBytes} bytes Convoy reads from it: is it the right file?`, {
    details: { file, maxBytes },
  });
}

function kindOf(stat: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
