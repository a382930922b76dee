import { ConvoyError, defineObjectStore, ObjectStoreRegistry } from '@convoy/core';
import { memoryStoreDefinition } from '@convoy/core/testing';
import { describe, expect, it } from 'vitest';
import { resolveStoreTarget, withOpenStore } from './open-store.js';

function registry(): ObjectStoreRegistry {
  const stores = new ObjectStoreRegistry();
  stores.register(memoryStoreDefinition());
  const mem = memoryStoreDefinition();
  // A store that names a server: it owns what an endpoint may look like.
  stores.register(
    defineObjectStore({
      ...mem,
      scheme: 'srv',
      checkEndpoint: (endpoint) => {
        if (!endpoint.startsWith('http://')) throw new ConvoyError('INVALID_ARGUMENT', `srv endpoint ${endpoint} must be http://`);
        return endpoint.replace(/\/+$/, '');
      },
    }),
  );
  return stores;
}

describe('opening the store a request names', () => {
  it('parses the URL once and keeps it as written, with the package for its scheme', async () => {
    const target = await resolveStoreTarget(registry(), 'mem://backups/here', undefined);
    expect(target).toMatchObject({ written: 'mem://backups/here', scheme: 'mem', endpoint: undefined });
    expect(target.url.href).toBe('mem://backups/here');
  });

  it("leaves the endpoint rule to the store's package: refused by one that takes none, normalised by one that does", async () => {
    await expect(resolveStoreTarget(registry(), 'mem://b', 'http://127.0.0.1:9000')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'an endpoint (http://127.0.0.1:9000) is not accepted by mem:// backup stores',
    });
    await expect(resolveStoreTarget(registry(), 'srv://b', 'ftp://x')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'srv endpoint ftp://x must be http://',
    });
    await expect(resolveStoreTarget(registry(), 'srv://b', 42)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await resolveStoreTarget(registry(), 'srv://b', 'http://host:1/')).endpoint).toBe('http://host:1');
    expect((await resolveStoreTarget(registry(), 'mem://b', '')).endpoint).toBeUndefined();
  });

  it('refuses a malformed URL and an unknown scheme before opening anything', async () => {
    await expect(resolveStoreTarget(registry(), 'not a url', undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(resolveStoreTarget(registry(), 'nosuch://x', undefined)).rejects.toMatchObject({
      code: 'UNKNOWN_DRIVER',
      message: expect.stringContaining('nosuch'),
    });
  });

  it("opens with only its scheme's settings and closes the store even when the work fails", async () => {
    const closed: string[] = [];
    const stores = new ObjectStoreRegistry();
    const mem = memoryStoreDefinition();
    stores.register(
      defineObjectStore({
        ...mem,
        open: async (url, opts) => {
          expect(opts).toEqual({ options: {} });
          const store = await mem.open(url, opts);
          return Object.create(store, { close: { value: async () => void closed.push(url.href) } }) as typeof store;
        },
      }),
    );
    const target = await resolveStoreTarget(stores, 'mem://w', undefined);
    await expect(
      withOpenStore(
        target,
        { 's3.pageSize': '2' },
        async () => Promise.reject(new Error('work failed')),
        () => {},
      ),
    ).rejects.toThrow('work failed');
    expect(closed).toEqual(['mem://w']);
  });
});
