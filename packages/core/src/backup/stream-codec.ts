import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { CompressionMethod } from '../model.js';
import { BLOCK_SIZE } from './layout.js';
import { Lz4FrameDecoder, Lz4FrameEncoder } from './lz4-frame-stream.js';

/** Frames never exceed one input chunk plus LZ4's worst-case growth; anything far larger is corrupt. */
const MAX_LZ4_FRAME = 4 * BLOCK_SIZE;

const CODECS: Record<CompressionMethod, { compress: () => Transform; decompress: () => Transform }> = {
  lz4: { compress: () => new Lz4FrameEncoder(BLOCK_SIZE), decompress: () => new Lz4FrameDecoder(MAX_LZ4_FRAME) },
  gzip: { compress: () => createGzip(), decompress: () => createGunzip() },
  none: { compress: () => new PassThrough(), decompress: () => new PassThrough() },
};

/** Compression for single-file archives: streaming, bounded memory, per the backup's method. */
export function compressStream(method: CompressionMethod): Transform {
  return CODECS[method].compress();
}

export function decompressStream(method: CompressionMethod): Transform {
  return CODECS[method].decompress();
}
