import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { ConvoyError } from '../errors.js';
import type { CompressionMethod } from '../model.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

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
      return compressFrameSync(data);
    case 'zstd':
      return zstdCompress(data);
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
        plain = decompressFrameSync(data);
        break;
      case 'zstd':
        plain = await zstdDecompress(data);
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
