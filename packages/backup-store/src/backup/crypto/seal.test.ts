import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isConvoyError } from '@convoy/core';
import { describe, expect, it } from 'vitest';
import { openObject, SEAL_OVERHEAD, sealObject } from './seal.js';
import { OpenStream, SEGMENT_BYTES, SealStream } from './seal-stream.js';

const key = randomBytes(32);
const OBJECT = 'convoy-objectstore/volumes/db/!!/db!!/BackupFiles/backup-0123456789abcdef.bak';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Seals `data` as a stream, fed in `chunk`-byte pieces. */
async function sealStream(data: Buffer, chunk = 64 * 1024, objectKey = OBJECT): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk));
  return collect(Readable.from(pieces).pipe(new SealStream(key, objectKey)));
}

async function openStream(sealed: Buffer, objectKey = OBJECT, chunk = 100_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < sealed.length; at += chunk) pieces.push(sealed.subarray(at, at + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), new OpenStream(key, objectKey), async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  return Buffer.concat(out);
}

async function expectTampered(promise: Promise<unknown>, mention: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isConvoyError(err, 'CORRUPT'), String(err)).toBe(true);
  expect((err as Error).message).toContain(mention);
}

describe('whole-object sealing', () => {
  it('round-trips, never repeats a nonce, and refuses a flipped, cut, moved or foreign object naming it', () => {
    const data = randomBytes(1000);
    const a = sealObject(key, 'k1', data);
    const b = sealObject(key, 'k1', data);
    expect(a.length).toBe(data.length + SEAL_OVERHEAD);
    expect(a.equals(b)).toBe(false);
    expect(openObject(key, 'k1', a).equals(data)).toBe(true);
    expect(openObject(key, 'k1', sealObject(key, 'k1', Buffer.alloc(0)))).toHaveLength(0);

    const flipped = Buffer.from(a);
    flipped[40]! ^= 1;
    expect(() => openObject(key, 'k1', flipped)).toThrow(/encrypted object k1 was modified/);
    expect(() => openObject(key, 'k1', a.subarray(0, a.length - 1))).toThrow(/k1/);
    expect(() => openObject(key, 'k2', a)).toThrow(/encrypted object k2/);
    expect(() => openObject(randomBytes(32), 'k1', a)).toThrow(/fails authentication/);
    expect(() => openObject(key, 'k1', data)).toThrow(/not a sealed object/);
  });
});

describe('streamed sealing of archives', () => {
  it('round-trips empty, short, exact-multiple and ragged archives whatever the chunking', async () => {
    for (const size of [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, 2 * SEGMENT_BYTES, 2 * SEGMENT_BYTES + 17]) {
      const data = randomBytes(size);
      const sealed = await sealStream(data, 70_001);
      expect((await openStream(sealed, OBJECT, 33_333)).equals(data), `size ${size}`).toBe(true);
    }
  });

  it('refuses a cut, reordered, dropped or moved archive, naming it', async () => {
    const data = randomBytes(3 * SEGMENT_BYTES + 5);
    const sealed = await sealStream(data);
    const header = 12;
    const seg = SEGMENT_BYTES + 16;
    // Cut at a segment boundary: the segment before is not marked last.
    await expectTampered(openStream(sealed.subarray(0, header + 2 * seg)), OBJECT);
    // Cut inside a segment, and only the header left.
    await expectTampered(openStream(sealed.subarray(0, sealed.length - 3)), OBJECT);
    await expectTampered(openStream(sealed.subarray(0, header)), OBJECT);
    // Two segments swapped, one dropped.
    const s = (i: number) => sealed.subarray(header + i * seg, header + (i + 1) * seg);
    const rest = sealed.subarray(header + 3 * seg);
    await expectTampered(openStream(Buffer.concat([sealed.subarray(0, header), s(1), s(0), s(2), rest])), 'segment 0');
    await expectTampered(openStream(Buffer.concat([sealed.subarray(0, header), s(0), s(2), rest])), 'segment 1');
    // Appended bytes, another object's name, a clear archive.
    await expectTampered(openStream(Buffer.concat([sealed, Buffer.from('x')])), OBJECT);
    await expectTampered(openStream(sealed, `${OBJECT}.moved`), `${OBJECT}.moved`);
    await expectTampered(openStream(data), 'not an encrypted archive');
  });

  it('fails the sealed stream when its source fails, so no upload completes', async () => {
    const failing = new Readable({
      read() {
        this.push(randomBytes(SEGMENT_BYTES + 10));
        this.destroy(new Error('the exporter died'));
      },
    });
    await expect(
      pipeline(failing, new SealStream(key, OBJECT), async function* (source) {
        for await (const _ of source) yield;
      }),
    ).rejects.toThrow('the exporter died');
  });
});
