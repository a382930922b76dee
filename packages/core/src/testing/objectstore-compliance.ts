import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvoyError, isConvoyError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../objectstore.js';

export interface ObjectStoreUnderTest {
  store: ObjectStore;
  /** Removes what `setup` made (directories, buckets, servers). */
  cleanup(): Promise<void>;
}

export interface ObjectStoreComplianceOptions {
  /** Shown in the test titles. */
  name: string;
  /** Called once for the whole suite. Give S3 stores a small page size, so paging is exercised. */
  setup(): Promise<ObjectStoreUnderTest>;
  /** Keys deleted in one call by the bulk test (default 1005: more than one S3 DeleteObjects batch). */
  bulkDeleteKeys?: number;
  /** Known departures of a test server from S3 that the store cannot paper over. */
  quirks?: ServerQuirks;
  /** Where the suite's keys live (default the store's top); a wrapper may treat keys under it differently (the encryption seal). */
  prefix?: string;
  /** The store keeps transformed bytes (sealed objects are longer): sizes from head and list are at least the plain length. */
  storedSizesDiffer?: boolean;
}

export interface ServerQuirks {
  /**
   * The server lists in directory-walk order (`a/…` before `a-b`), not in key order, and pages
   * from there (s3rver 3.7.1). Convoy's layout never puts such names side by side, so the
   * ordering test then leaves out names that sort below `/`.
   */
  listsInWalkOrder?: boolean;
  /** The server rewrites an object in place, so a concurrent reader can see a part (s3rver 3.7.1). S3 itself never does. */
  overwritesInPlace?: boolean;
}

/**
 * The contract of `ObjectStore` (see objectstore.ts) as vitest tests. A store package runs it
 * against itself:
 *
 * ```ts
 * objectStoreComplianceSuite({ name: 'fs', setup: async () => ({ store, cleanup }) });
 * ```
 *
 * Every test works under its own prefix, so tests never see each other's objects.
 */
export function objectStoreComplianceSuite(opts: ObjectStoreComplianceOptions): void {
  describe(`object store compliance: ${opts.name}`, () => {
    let subject: ObjectStoreUnderTest;
    let store: ObjectStore;
    let serial = 0;
    const area = (): string => `${opts.prefix ?? ''}compliance-${process.pid}-${serial++}-${randomBytes(3).toString('hex')}/`;

    beforeAll(async () => {
      subject = await opts.setup();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    // The size a head or list reports for `plain` bytes.
    const expectSize = (size: number | undefined, plain: number) =>
      opts.storedSizesDiffer ? expect(size).toBeGreaterThanOrEqual(plain) : expect(size).toBe(plain);

    it('answers undefined for missing objects, never an error', async () => {
      const p = area();
      expect(await store.get(`${p}missing`)).toBeUndefined();
      expect(await store.getStream(`${p}missing`)).toBeUndefined();
      expect(await store.head(`${p}missing`)).toBeUndefined();
      expect(await collect(store.list(p))).toEqual([]);
      expect(await store.listDir(p)).toEqual({ files: [], dirs: [] });
    });

    it('reads ranges: exact bytes inside, short at the end, empty past it, undefined when missing; bad ranges refused', async () => {
      const key = `${area()}ranged.bin`;
      const data = randomBytes(300_007);
      await store.put(key, data);
      expect((await store.getRange(key, 0, 1))?.equals(data.subarray(0, 1))).toBe(true);
      expect((await store.getRange(key, 123_456, 100_000))?.equals(data.subarray(123_456, 223_456))).toBe(true);
      expect((await store.getRange(key, data.length - 7, 1000))?.equals(data.subarray(data.length - 7))).toBe(true);
      expect((await store.getRange(key, data.length + 5, 10))?.length).toBe(0);
      expect(await store.getRange(`${key}.missing`, 0, 10)).toBeUndefined();
      for (const [offset, length] of [
        [-1, 10],
        [0, 0],
        [0.5, 10],
        [0, Number.MAX_SAFE_INTEGER + 2],
      ] as const) {
        const err = await store.getRange(key, offset, length).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isConvoyError(err, 'INVALID_ARGUMENT'), `offset ${offset} length ${length}: ${String(err)}`).toBe(true);
      }
    });

    it('reads ranges with a reused buffer: the same bytes read after read, short at the end; a buffer too small refused', async () => {
      const key = `${area()}ranged-into.bin`;
      const data = randomBytes(300_007);
      await store.put(key, data);
      const into = Buffer.alloc(100_000, 0xee);
      expect((await store.getRange(key, 123_456, 100_000, into))?.equals(data.subarray(123_456, 223_456))).toBe(true);
      expect((await store.getRange(key, 7, 50_000, into))?.equals(data.subarray(7, 50_007))).toBe(true);
      expect((await store.getRange(key, data.length - 7, 1000, into))?.equals(data.subarray(data.length - 7))).toBe(true);
      expect(await store.getRange(`${key}.missing`, 0, 10, into)).toBeUndefined();
      const err = await store.getRange(key, 0, 100_001, into).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isConvoyError(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
    });

    it('stores and returns bytes exactly; an overwrite replaces them', async () => {
      const key = `${area()}dir/object.bin`;
      const first = randomBytes(70_001);
      await store.put(key, first);
      expect((await store.get(key))?.equals(first)).toBe(true);
      const info = await store.head(key);
      expect(info?.key).toBe(key);
      expectSize(info?.size, first.length);
      expect(info?.mtime).toBeInstanceOf(Date);
      expect(Number.isNaN(info!.mtime.getTime())).toBe(false);

      const second = Buffer.from('replaced');
      await store.put(key, second);
      expect((await store.get(key))?.toString()).toBe('replaced');
      expectSize((await store.head(key))?.size, second.length);
    });

    it('stores a stream and streams it back', async () => {
      const key = `${area()}stream.bin`;
      const parts = [randomBytes(1 << 20), randomBytes(3), randomBytes(2 << 20), Buffer.alloc(0), randomBytes(12_345)];
      await store.put(key, Readable.from(parts));
      const whole = Buffer.concat(parts);
      expect((await store.get(key))?.equals(whole)).toBe(true);
      const back = await store.getStream(key);
      expect(back).toBeDefined();
      expect(Buffer.concat(await back!.toArray()).equals(whole)).toBe(true);
    });

    it('a stream that fails leaves no object behind', async () => {
      const key = `${area()}failed.bin`;
      const failing = Readable.from(
        (async function* () {
          yield randomBytes(100_000);
          throw new Error('source broke');
        })(),
      );
      await expect(store.put(key, failing)).rejects.toThrow();
      expect(await store.head(key)).toBeUndefined();
    });

    it('lists recursively, in lexical key order, only under the prefix', async () => {
      const p = area();
      // '-' < '.' < '/' < letters: a store that walks directories must still yield this order.
      const belowSlash = opts.quirks?.listsInWalkOrder ? [] : ['a-b/x', 'a.b'];
      const keys = ['a/b/c', 'a/bc', 'b', 'a/c/d/e', 'ab', ...belowSlash];
      for (const key of keys) await store.put(`${p}${key}`, Buffer.from(key));
      await store.put(`${area()}a/outside`, Buffer.from('x'));
      const listed = (await collect(store.list(p))).map((info) => info.key.slice(p.length));
      const expected = [...keys].sort();
      expect(listed).toEqual(expected);
      // A prefix that ends inside a name matches the start of names.
      expect((await collect(store.list(`${p}a`))).map((i) => i.key.slice(p.length))).toEqual(expected.filter((k) => k.startsWith('a')));
      expect((await collect(store.list(`${p}a/`))).map((i) => i.key.slice(p.length))).toEqual(['a/b/c', 'a/bc', 'a/c/d/e']);
      for (const info of await collect(store.list(p))) expectSize(info.size, info.key.slice(p.length).length);
    });

    it('lists past one page of results', async () => {
      const p = area();
      const keys = Array.from({ length: 37 }, (_, i) => `${p}k/${String(i).padStart(3, '0')}`);
      await Promise.all(keys.map((key) => store.put(key, Buffer.from('x'))));
      expect((await collect(store.list(p))).map((i) => i.key)).toEqual(keys);
      const { files } = await store.listDir(`${p}k/`);
      expect(files.sort()).toEqual(keys.map((k) => k.slice(`${p}k/`.length)));
    });

    it('lists one directory level with listDir', async () => {
      const p = area();
      for (const key of ['f1', 'f2', 'd1/x', 'd1/y/z', 'd2/w']) await store.put(`${p}${key}`, Buffer.from('x'));
      const level = await store.listDir(p);
      expect(level.files.sort()).toEqual(['f1', 'f2']);
      expect(level.dirs.sort()).toEqual(['d1', 'd2']);
      expect(await store.listDir(`${p}d1/`)).toEqual({ files: ['x'], dirs: ['y'] });
    });

    it('deletes exactly the keys given: vol1 never takes vol10 with it', async () => {
      const p = area();
      const keys = ['vol1/a', 'vol1/b/c', 'vol10/a', 'vol10/b/c', 'vol1x'];
      for (const key of keys) await store.put(`${p}${key}`, Buffer.from(key));
      await store.delete([`${p}vol1/a`, `${p}vol1/b/c`, `${p}vol1/never-existed`]);
      expect((await collect(store.list(p))).map((i) => i.key.slice(p.length))).toEqual(['vol10/a', 'vol10/b/c', 'vol1x']);
      await store.delete([]);
    });

    it('deletes more keys in one call than one S3 batch holds', async () => {
      const p = area();
      const count = opts.bulkDeleteKeys ?? 1005;
      const keys = Array.from({ length: count }, (_, i) => `${p}bulk/${String(i).padStart(5, '0')}`);
      const keep = `${p}keep`;
      await runLimited(keys, 16, (key) => store.put(key, Buffer.from('x')));
      await store.put(keep, Buffer.from('keep'));
      await store.delete(keys);
      expect((await collect(store.list(p))).map((i) => i.key)).toEqual([keep]);
    });

    it('refuses keys that are not relative paths', async () => {
      const p = area();
      for (const key of [`${p}../escape`, `/${p}abs`, `${p}a//b`, `${p}./x`, '', `${p}dir/`]) {
        const attempt = store.put(key, Buffer.from('x'));
        await expect(attempt).rejects.toSatisfy((err) => isConvoyError(err, 'INVALID_ARGUMENT'));
      }
      await expect(store.get(`${p}../x`)).rejects.toSatisfy((err) => isConvoyError(err, 'INVALID_ARGUMENT'));
      await expect(store.delete([`${p}a/../../b`])).rejects.toSatisfy((err) => isConvoyError(err, 'INVALID_ARGUMENT'));
    });

    // A server that rewrites objects in place (s3rver) cannot pass the concurrent check; it
    // still must return each finished overwrite whole, which is what the engine relies on.
    if (opts.quirks?.overwritesInPlace) {
      it('every finished overwrite reads back whole', async () => {
        const key = `${area()}overwrite.bin`;
        for (const [size, fill] of [
          [(1 << 20) + 7, 'b'],
          [1 << 20, 'a'],
          [17, 'c'],
        ] as const) {
          const body = Buffer.alloc(size, fill);
          await store.put(key, body);
          expect((await store.get(key))?.equals(body)).toBe(true);
          expectSize((await store.head(key))?.size, size);
        }
      });
    } else {
      it('a reader never sees half of an overwrite', async () => {
        const key = `${area()}atomic.bin`;
        const a = Buffer.alloc(1 << 20, 'a');
        const b = Buffer.alloc((1 << 20) + 7, 'b');
        await store.put(key, a);
        let writing = true;
        const writer = (async () => {
          for (let i = 0; i < 6; i++) await store.put(key, i % 2 ? a : b);
          writing = false;
        })();
        let reads = 0;
        try {
          while (writing || reads === 0) {
            const seen = await store.get(key);
            expect(seen?.equals(a) || seen?.equals(b)).toBe(true);
            reads += 1;
          }
        } finally {
          await writer;
        }
      });
    }

    // A fired signal's reason as a plain Error: the store's own CANCELLED must name the call.
    const stopped = () => AbortSignal.abort(new Error('the client went away'));
    const cancelled = (err: unknown) => isConvoyError(err, 'CANCELLED');

    it('a call whose signal has fired rejects with CANCELLED and changes nothing, whatever the call', async () => {
      const p = area();
      const key = `${p}dir/kept.bin`;
      const data = randomBytes(10_000);
      await store.put(key, data);
      const calls: Array<[string, (signal: AbortSignal) => Promise<unknown>]> = [
        ['get', (signal) => store.get(key, { signal })],
        ['getStream', (signal) => store.getStream(key, { signal })],
        ['getRange', (signal) => store.getRange(key, 10, 100, undefined, { signal })],
        ['getRange into a buffer', (signal) => store.getRange(key, 10, 100, Buffer.alloc(100), { signal })],
        ['head', (signal) => store.head(key, { signal })],
        ['list', (signal) => collect(store.list(p, { signal }))],
        ['listDir', (signal) => store.listDir(`${p}dir/`, { signal })],
        ['delete', (signal) => store.delete([key], { signal })],
        ['put of a buffer', (signal) => store.put(`${p}dir/new-buffer`, Buffer.from('x'), { signal })],
        ['put of a stream', (signal) => store.put(`${p}dir/new-stream`, Readable.from([Buffer.from('y')]), { signal })],
        ['put over the kept object', (signal) => store.put(key, Buffer.from('overwritten'), { signal })],
      ];
      for (const [name, call] of calls) {
        const err = await call(stopped()).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(cancelled(err), `${name}: ${String(err)}`).toBe(true);
      }
      expect((await collect(store.list(p))).map((info) => info.key)).toEqual([key]);
      expect((await store.get(key))?.equals(data)).toBe(true);
    });

    it("a cancelled call rejects with the signal's reason when that is a ConvoyError (the caller's own words)", async () => {
      const key = `${area()}reason.bin`;
      await store.put(key, Buffer.from('x'));
      const busy = new ConvoyError('BUSY', 'cancelled because the daemon is stopping');
      await expect(store.get(key, { signal: AbortSignal.abort(busy) })).rejects.toBe(busy);
      await expect(store.getRange(key, 0, 1, undefined, { signal: AbortSignal.abort(busy) })).rejects.toBe(busy);
    });

    it('a stream got before the signal fires fails with CANCELLED when read after it', async () => {
      const key = `${area()}streamed.bin`;
      await store.put(key, randomBytes(300_000));
      const stop = new AbortController();
      const body = await store.getStream(key, { signal: stop.signal });
      stop.abort(new Error('the client went away'));
      const err = await body!.toArray().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cancelled(err), String(err)).toBe(true);
    });

    it('a listing whose signal fires while it is read stops with CANCELLED', async () => {
      const p = area();
      const keys = Array.from({ length: 12 }, (_, i) => `${p}k/${String(i).padStart(2, '0')}`);
      for (const key of keys) await store.put(key, Buffer.from('x'));
      const stop = new AbortController();
      const seen: string[] = [];
      const err = await (async () => {
        for await (const info of store.list(p, { signal: stop.signal })) {
          seen.push(info.key);
          stop.abort(new Error('the client went away'));
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cancelled(err), String(err)).toBe(true);
      expect(seen.length).toBeLessThan(keys.length);
    });

    it('counts its requests', async () => {
      const key = `${area()}counted`;
      const before = { ...store.stats };
      await store.put(key, Buffer.from('x'));
      await store.get(key);
      await store.head(key);
      await store.delete([key]);
      expect(store.stats.put - before.put).toBe(1);
      expect(store.stats.get - before.get).toBe(1);
      expect(store.stats.head - before.head).toBe(1);
      expect(store.stats.delete - before.delete).toBe(1);
    });
  });
}

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
