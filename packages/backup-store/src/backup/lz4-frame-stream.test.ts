import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { isConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { Lz4FrameDecoder, Lz4FrameEncoder } from './lz4-frame-stream.js';

async function through(stream: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<Buffer> {
  return Buffer.concat(
    await Readable.from(chunks)
      .pipe(stream as never as NodeJS.WritableStream & Readable)
      .toArray(),
  );
}

/** Cuts a buffer into pieces of awkward sizes, as a network delivers it. */
function ragged(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 3) % 70_001) out.push(data.subarray(at, at + n));
  return out;
}

describe('LZ4 frame streams', () => {
  const input = Buffer.concat([randomBytes(700_000), Buffer.alloc(900_000, 'convoy '), randomBytes(123)]);

  it('round-trips through frames of the chunk size, however the bytes arrive', async () => {
    const encoded = await through(new Lz4FrameEncoder(256 * 1024), ragged(input));
    expect(encoded.length).toBeLessThan(input.length);
    expect((await through(new Lz4FrameDecoder(8 << 20), ragged(encoded))).equals(input)).toBe(true);
  });

  it('reads what the lz4 CLI writes (with content checksums and a skippable frame) and writes what it reads', async () => {
    const cli = execFileSync('lz4', ['-c', '-B4', '--content-size'], { input });
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const decoded = await through(new Lz4FrameDecoder(8 << 20), ragged(Buffer.concat([skippable, cli, cli])));
    expect(decoded.equals(Buffer.concat([input, input]))).toBe(true);
    const ours = await through(new Lz4FrameEncoder(300_000), [input]);
    expect(execFileSync('lz4', ['-dc'], { input: ours, maxBuffer: 16 << 20 }).equals(input)).toBe(true);
  });

  it('fails as CORRUPT on garbage, a truncated stream and an oversized frame', async () => {
    const encoded = await through(new Lz4FrameEncoder(256 * 1024), [input]);
    for (const [bytes, max] of [
      [Buffer.from('definitely not lz4'), 8 << 20],
      [encoded.subarray(0, encoded.length - 10), 8 << 20],
      [encoded, 1000],
    ] as const) {
      const err = await through(new Lz4FrameDecoder(max), [bytes]).catch((e: unknown) => e);
      expect(isConvoyError(err, 'CORRUPT'), String(err)).toBe(true);
    }
  });
});
