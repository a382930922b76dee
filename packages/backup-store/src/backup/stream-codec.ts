import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { CompressionMethod } from '@convoy/core';
import { ConvoyError } from '@convoy/core';
import { BLOCK_SIZE } from './layout.js';
import { Lz4FrameDecoder, Lz4FrameEncoder } from './lz4-frame-stream.js';

/** Frames never exceed one input chunk plus LZ4's worst-case growth; anything far larger is corrupt. */
const MAX_LZ4_FRAME = 4 * BLOCK_SIZE;

/** zstd is for blocks only: its binding has no streaming API (prepareBackup refuses it here). */
const CODECS: Record<Exclude<CompressionMethod, 'zstd'>, { compress: () => Transform; decompress: () => Transform }> = {
  lz4: { compress: () => new Lz4FrameEncoder(BLOCK_SIZE), decompress: () => new Lz4FrameDecoder(MAX_LZ4_FRAME) },
  gzip: { compress: () => createGzip(), decompress: () => createGunzip() },
  none: { compress: () => new PassThrough(), decompress: () => new PassThrough() },
};

/** Compression for single-file archives: streaming, bounded memory, per the backup's method. */
export function compressStream(method: CompressionMethod): Transform {
  return codec(method).compress();
}

export function decompressStream(method: CompressionMethod): Transform {
  return codec(method).decompress();
}

function codec(method: CompressionMethod): (typeof CODECS)[keyof typeof CODECS] {
  if (method === 'zstd') throw new ConvoyError('NOT_SUPPORTED', 'single-file archives are not compressed with zstd; use lz4, gzip or none');
  return CODECS[method];
}
