import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isConvoyError } from '@convoy/core';
import { objectStoreComplianceSuite } from '@convoy/core/testing';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import fsStoreDefinition, { openFsObjectStore } from './index.js';

const scratch = await tempDir('convoy-fs-store-');

objectStoreComplianceSuite({
  name: 'vfs (objectstore-fs)',
  setup: async () => {
    const dir = await mkdtemp(path.join(scratch, 'compliance-'));
    return { store: await openFsObjectStore(new URL(`vfs://${dir}`)), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});

describe('objectstore-fs', () => {
  it('opens vfs:///abs/path and normalises its URL', async () => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    expect(fsStoreDefinition.scheme).toBe('vfs');
    const store = await fsStoreDefinition.open(new URL(`vfs://${dir}/`), {});
    expect(store.url).toBe(`vfs://${dir}`);
  });

  it('refuses a host, a missing directory, a file, options and an endpoint', async () => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    const file = path.join(dir, 'plain-file');
    await writeFile(file, 'x');
    const cases: Array<[string, object, string]> = [
      [`vfs://host${dir}`, {}, 'INVALID_ARGUMENT'],
      [`vfs://${dir}/does-not-exist`, {}, 'NOT_FOUND'],
      [`vfs://${file}`, {}, 'INVALID_ARGUMENT'],
      [`vfs://${dir}?backup=b`, {}, 'INVALID_ARGUMENT'],
      [`vfs://${dir}`, { endpoint: 'http://127.0.0.1:1' }, 'INVALID_ARGUMENT'],
      [`vfs://${dir}`, { options: { 's3.pageSize': '2' } }, 'INVALID_ARGUMENT'],
    ];
    for (const [url, opts, code] of cases) {
      await expect(openFsObjectStore(new URL(url), opts)).rejects.toSatisfy((err) => isConvoyError(err, code as never));
    }
    expect(await readdir(dir)).toEqual(['plain-file']);
  });

  it('prunes directories a delete empties, up to but not including the top-level one', async () => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    const store = await openFsObjectStore(new URL(`vfs://${dir}`));
    await store.put('convoy-objectstore/volumes/vo/l1/vol1/blocks/aa/bb/x.blk', Buffer.from('x'));
    await store.put('convoy-objectstore/volumes/vo/l1/vol10/volume.cfg', Buffer.from('{}'));
    await store.delete(['convoy-objectstore/volumes/vo/l1/vol1/blocks/aa/bb/x.blk']);
    expect(await readdir(path.join(dir, 'convoy-objectstore/volumes/vo/l1'))).toEqual(['vol10']);
    await store.delete(['convoy-objectstore/volumes/vo/l1/vol10/volume.cfg']);
    expect(await readdir(path.join(dir, 'convoy-objectstore'))).toEqual([]);
    expect((await stat(path.join(dir, 'convoy-objectstore'))).isDirectory()).toBe(true);
  });

  it("leaves no temp files after writes and hides a crashed writer's temp file from listings", async () => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    const store = await openFsObjectStore(new URL(`vfs://${dir}`));
    await store.put('d/object', Buffer.from('data'));
    expect(await readdir(path.join(dir, 'd'))).toEqual(['object']);
    await writeFile(path.join(dir, 'd', '.object.0123456789ab.tmp'), 'half');
    expect(await store.listDir('d/')).toEqual({ files: ['object'], dirs: [] });
    const keys: string[] = [];
    for await (const info of store.list('d/')) keys.push(info.key);
    expect(keys).toEqual(['d/object']);
  });
});
