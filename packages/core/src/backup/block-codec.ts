import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { ConvoyError } from '../errors.js';
import type { CompressionMethod } from '../model.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Compresses one block off the main thread (lz4-napi and zlib both run on libuv's pool), so the
 * pipeline can hash the next block meanwhile. `none` returns the input itself: the caller must
 * not reuse the buffer until the upload is done.
 */
export async function compressBlock(method: CompressionMethod, data: Buffer): Promise<Buffer> {
  switch (method) {
    case 'lz4':
      return compressFrame(data);
    case 'gzip':
      return gzipAsync(data);
    case 'none':
      return data;
  }
}

/** The inverse; `maxLength` bounds what a hostile gzip object can expand to. */
export async function decompressBlock(method: CompressionMethod, data: Buffer, maxLength: number): Promise<Buffer> {
  try {
    switch (method) {
      case 'lz4':
        return await decompressFrame(data);
      case 'gzip':
        return await gunzipAsync(data, { maxOutputLength: maxLength });
      case 'none':
        return data;
    }
  } catch (err) {
    throw new ConvoyError('CORRUPT', `cannot decompress (${method}): ${(err as Error).message}`, { cause: err });
  }
}
