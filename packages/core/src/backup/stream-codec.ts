import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { CompressionMethod } from '../model.js';
import { BLOCK_SIZE } from './layout.js';
import { Lz4FrameDecoder, Lz4FrameEncoder } from './lz4-frame-stream.js';

/** Frames never exceed one input chunk plus LZ4's worst-case growth; anything far larger is corrupt. */
const MAX_LZ4_FRAME = 4 * BLOCK_SIZE;

/** Compression for single-file archives: streaming, bounded memory, per the backup's method. */
export function compressStream(method: CompressionMethod): Transform {
  switch (method) {
    case 'lz4':
      return new Lz4FrameEncoder(BLOCK_SIZE);
    case 'gzip':
      return createGzip();
    case 'none':
      return new PassThrough();
  }
}

export function decompressStream(method: CompressionMethod): Transform {
  switch (method) {
    case 'lz4':
      return new Lz4FrameDecoder(MAX_LZ4_FRAME);
    case 'gzip':
      return createGunzip();
    case 'none':
      return new PassThrough();
  }
}
