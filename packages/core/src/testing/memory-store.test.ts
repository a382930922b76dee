import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, memoryStoreDefinition } from './memory-store.js';
import { objectStoreComplianceSuite } from './objectstore-compliance.js';

objectStoreComplianceSuite({
  name: 'memory (core/testing)',
  setup: async () => ({ store: new MemoryObjectStore(), cleanup: async () => {} }),
});

describe('MemoryObjectStore', () => {
  it('stores a copy, so a caller reusing its buffer cannot change a stored object', async () => {
    const store = new MemoryObjectStore();
    const body = Buffer.from('block');
    await store.put('a/b', body);
    body.fill(0);
    expect((await store.get('a/b'))?.toString()).toBe('block');
  });

  it('dates objects by its clock and can age one, and refuses work once closed', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const store = new MemoryObjectStore('mem://aged', () => now);
    await store.put('lock', Buffer.from('x'));
    now = new Date('2026-01-02T00:00:00Z');
    expect((await store.head('lock'))?.mtime).toEqual(new Date('2026-01-01T00:00:00Z'));
    store.age('lock', new Date('2025-01-01T00:00:00Z'));
    expect((await store.head('lock'))?.mtime).toEqual(new Date('2025-01-01T00:00:00Z'));
    await store.close();
    await expect(store.get('lock')).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('opens one store per mem:// name through its definition, and refuses options', async () => {
    const def = memoryStoreDefinition();
    const first = await def.open(new URL('mem://backups/x'), {});
    await first.put('k', Buffer.from('v'));
    await first.close();
    const again = await def.open(new URL('mem://backups/x'), {});
    expect((await again.get('k'))?.toString()).toBe('v');
    expect(await (await def.open(new URL('mem://other'), {})).get('k')).toBeUndefined();
    expect(() => def.checkOptions({ 'mem.size': '1' })).toThrow(/mem\.size/);
  });
});
