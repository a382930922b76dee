import { randomBytes } from 'node:crypto';
import { isConvoyError } from '@convoy/core';
import { MemoryObjectStore, refusal } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { createBackupEngine } from './engine.js';
import { packKey } from './layout.js';
import { blobCipher } from './pack-cipher.js';
import { checkBlobs, decodePackHeader, encodePackTail, headerLengthOf, PACK_TRAILER_BYTES, type PackBlob } from './pack-format.js';
import { decodeIndex, encodeIndex, readPackHeader } from './pack-index.js';

/** The bytes of packs and index objects read back, and every way they can be wrong refused as CORRUPT. */

const NAME = 'a'.repeat(64);
const blob = (over: Partial<PackBlob> = {}): PackBlob => ({ Name: NAME, Offset: 0, Length: 10, RawLength: 100, Compression: 'zstd', ...over });

const corrupt = (fn: () => unknown): string => refusal('CORRUPT', fn);

describe('pack bytes', () => {
  it('reads back what it wrote, in the clear and sealed', async () => {
    const blobs = [blob(), blob({ Name: 'b'.repeat(64), Offset: 10, Length: 5, Compression: 'none', RawLength: 5 })];
    for (const cipher of [undefined, blobCipher(randomBytes(32))]) {
      const data = Buffer.alloc(15, 7);
      const pack = Buffer.concat([data, encodePackTail(blobs, cipher)]);
      const headerLength = headerLengthOf(pack, pack.length, 'p');
      expect(decodePackHeader(pack.subarray(15, 15 + headerLength), 'p', 15, cipher)).toEqual(blobs);
      // The same, from a store, through ranged reads of its end.
      const store = new MemoryObjectStore();
      const name = 'c'.repeat(64);
      await store.put(packKey('vol1', name), pack);
      expect(await readPackHeader(store, 'vol1', name, pack.length, cipher)).toEqual(blobs);
    }
  });

  it('refuses a pack cut short, a foreign object and a trailer giving a nonsense header length', () => {
    const pack = Buffer.concat([Buffer.alloc(10), encodePackTail([blob()], undefined)]);
    expect(corrupt(() => headerLengthOf(pack.subarray(0, pack.length - 1), pack.length - 1, 'p'))).toMatch(/cut short, or not a pack/);
    expect(corrupt(() => headerLengthOf(Buffer.from('hello'), 5, 'p'))).toMatch(/too short/);
    for (const length of [0, 1, 0xffffffff, pack.length]) {
      const bad = Buffer.from(pack);
      bad.writeUInt32LE(length, bad.length - PACK_TRAILER_BYTES);
      expect(corrupt(() => headerLengthOf(bad, bad.length, 'p'))).toMatch(/header of \d+ bytes/);
    }
  });

  it('refuses a header that is not JSON, or a sealed one under another key', () => {
    expect(corrupt(() => decodePackHeader(Buffer.from('{"Blobs": ['), 'p', 100, undefined))).toMatch(/not JSON/);
    const sealed = blobCipher(randomBytes(32)).sealHeader(Buffer.from('{"Blobs":[]}'));
    expect(corrupt(() => decodePackHeader(sealed, 'p', 100, blobCipher(randomBytes(32))))).toMatch(/header of pack p .* fails authentication/);
  });

  it.each([
    ['no list', { Blobs: 5 }, /lists no blobs/],
    ['a name that is no block name', [blob({ Name: '../x' })], /name/],
    ['a negative offset', [blob({ Offset: -1 })], /offset/],
    ['overlapping blobs', [blob({ Length: 10 }), blob({ Offset: 5 })], /offset 5, before the end/],
    ['a blob past the data', [blob({ Offset: 95, Length: 10 })], /does not fit/],
    ['an empty blob', [blob({ Length: 0 })], /length 0/],
    ['a fractional length', [blob({ Length: 1.5 })], /length 1.5/],
    ['a block larger than 2 MiB', [blob({ RawLength: 4 * 1024 * 1024 })], /raw length/],
    ['an unknown codec', [blob({ Compression: 'zip' as never })], /compression "zip"/],
  ] as const)('refuses blobs with %s', (_what, value, message) => {
    expect(corrupt(() => checkBlobs(Array.isArray(value) ? value : (value as { Blobs: unknown }).Blobs, 'pack p', 100))).toMatch(message);
  });
});

describe('index objects', () => {
  it('read back what they list, and refuse damage naming the object', () => {
    const packs = [{ Name: 'd'.repeat(64), Size: 200, Blobs: [blob()] }];
    expect(decodeIndex(encodeIndex(packs), 'k')).toEqual(packs);
    expect(corrupt(() => decodeIndex(encodeIndex(packs).subarray(0, 30), 'k'))).toMatch(/index object k is unreadable: not JSON/);
    expect(corrupt(() => decodeIndex(Buffer.from('{"Packs": {}}'), 'k'))).toMatch(/lists no packs/);
    expect(corrupt(() => decodeIndex(Buffer.from(JSON.stringify({ Packs: [{ ...packs[0], Name: 'x' }] })), 'k'))).toMatch(/pack 0 has name "x"/);
    expect(corrupt(() => decodeIndex(Buffer.from(JSON.stringify({ Packs: [{ ...packs[0], Size: -5 }] })), 'k'))).toMatch(/size -5/);
    expect(corrupt(() => decodeIndex(Buffer.from(JSON.stringify({ Packs: [{ ...packs[0], Size: 12 }] })), 'k'))).toMatch(/does not fit/);
  });
});

describe('pack settings', () => {
  it.each([0, 5, 512 * 1024, 65 * 1024 * 1024, 1.5 * 1024 * 1024 + 0.5, Number.NaN])('the engine refuses a pack size of %d bytes', (size) => {
    let err: unknown;
    try {
      createBackupEngine({ packs: { size } });
    } catch (e) {
      err = e;
    }
    expect(isConvoyError(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
  });
});
