import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { CompressionMethod } from '@convoy/core';
import { ConvoyError } from '@convoy/core';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

// The native codecs load on first use: each costs tens of milliseconds to load (more in a VM:
// their loaders inspect the C library), which neither the CLI nor a thread that never uses
// that codec should pay.
let lz4: Promise<typeof import('lz4-napi')> | undefined;
let zstd: Promise<typeof import('@mongodb-js/zstd')> | undefined;
const loadLz4 = (): Promise<typeof import('lz4-napi')> => (lz4 ??= import('lz4-napi'));
const loadZstd = (): Promise<typeof import('@mongodb-js/zstd')> => (zstd ??= import('@mongodb-js/zstd'));

/**
 * Compresses one block; runs in a block worker (block-transform.ts), so a synchronous codec
 * occupies that worker's thread, not the engine's. lz4 (lz4-napi) writes standard LZ4 frames;
 * zstd (@mongodb-js/zstd, level 3 whatever is asked) writes one zstd frame and runs on libuv's
 * pool; gzip is what Convoy v0.5 wrote. `none` returns the input itself: the caller must not
 * reuse the buffer until the upload is done.
 */
export async function compressBlock(method: CompressionMethod, data: Buffer): Promise<Buffer> {
  switch (method) {
    case 'lz4':
      return (await loadLz4()).compressFrameSync(data);
    case 'zstd':
      return (await loadZstd()).compress(data);
    case 'gzip':
      return gzipAsync(data);
    case 'none':
      return data;
  }
}

/** The inverse; `maxLength` bounds what a hostile object can expand to. */
export async function decompressBlock(method: CompressionMethod, data: Buffer, maxLength: number): Promise<Buffer> {
  let plain: Buffer;
  try {
    switch (method) {
      case 'lz4':
        plain = (await loadLz4()).decompressFrameSync(data);
        break;
      case 'zstd':
        plain = await (await loadZstd()).decompress(data);
        break;
      case 'gzip':
        plain = await gunzipAsync(data, { maxOutputLength: maxLength });
        break;
      case 'none':
        plain = data;
        break;
    }
  } catch (err) {
    throw new ConvoyError('CORRUPT', `cannot decompress (${method}): ${(err as Error).message}`, { cause: err });
  }
  if (plain.length > maxLength) throw new ConvoyError('CORRUPT', `decompresses (${method}) to ${plain.length} bytes, more than a block's ${maxLength}`);
  return plain;
}
