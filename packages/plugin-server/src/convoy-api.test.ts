import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConvoyError } from '@convoy/core';
import { tempDir } from '@convoy/test-support/tmp';
import { ConvoyClient } from './client.js';
import { rawRequest } from '@convoy/test-support/unix-http';
import { startTestStack, type TestStack } from '../test/test-stack.js';

const dir = await tempDir('convoy-api-');

describe("Convoy's API over the real unix socket", () => {
  let stack: TestStack;
  let client: ConvoyClient;
  const post = (route: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    rawRequest(stack.server.socketPath, 'POST', `/v1${route}`, body, headers);

  beforeAll(async () => {
    stack = await startTestStack(dir);
    client = new ConvoyClient(stack.server.socketPath);
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('walks a volume through create, mount, snapshot, inspect, umount and delete', async () => {
    const info = await client.info();
    expect(info.drivers).toEqual(['vfs']);
    expect(info.defaultDriver).toBe('vfs');

    const created = await client.createVolume({ name: 'api1', size: 1 << 20 });
    expect(created).toMatchObject({ name: 'api1', driver: 'vfs' });
    const mountpoint = await client.mountVolume('api1');
    await writeFile(path.join(mountpoint, 'hello.txt'), 'hello');
    expect((await client.getVolume('api1')).mountpoint).toBe(mountpoint);

    const snap = await client.createSnapshot('api1', 'api1-snap');
    expect(snap).toMatchObject({ name: 'api1-snap', volumeName: 'api1' });
    expect((await client.getSnapshot('api1-snap')).volumeName).toBe('api1');
    expect((await client.listVolumes()).find((v) => v.name === 'api1')?.snapshots.map((s) => s.name)).toEqual(['api1-snap']);

    await client.deleteSnapshot('api1-snap');
    await client.umountVolume('api1');
    expect((await client.getVolume('api1')).mountpoint).toBeUndefined();
    await client.deleteVolume('api1', { referenceOnly: false });
    expect(await client.findVolume('api1')).toBeUndefined();
  });

  it('accepts a size string with a unit and generates a name when none is given', async () => {
    const res = await post('/volumes/create', JSON.stringify({ size: '2m' }));
    expect(res.status).toBe(200);
    const volume = res.json() as { name: string; size: number };
    expect(volume.name).toMatch(/^volume-[0-9a-f]{16}$/);
    await client.deleteVolume(volume.name, { referenceOnly: false });
  });

  it('answers errors as {code, message} with the HTTP status of the code', async () => {
    const missing = await post('/volumes/inspect', JSON.stringify({ name: 'nosuch' }));
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/nosuch/) });

    await client.createVolume({ name: 'dup1' });
    const dup = await post('/volumes/create', JSON.stringify({ name: 'dup1' }));
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'ALREADY_EXISTS' });

    const unknownDriver = await post('/volumes/create', JSON.stringify({ name: 'nd1', driver: 'nosuch' }));
    expect(unknownDriver.status).toBe(400);
    expect(unknownDriver.json()).toMatchObject({ code: 'UNKNOWN_DRIVER' });

    const snapOfMissing = await post('/snapshots/create', JSON.stringify({ volume: 'nosuch' }));
    expect(snapOfMissing.status).toBe(404);

    // The client turns them back into ConvoyErrors with the same code.
    await expect(client.getVolume('nosuch')).rejects.toSatisfy((err) => isConvoyError(err, 'NOT_FOUND'));
    await client.deleteVolume('dup1', { referenceOnly: false });
  });

  it('refuses bad bodies with 400 or 413 and a message naming the problem, changing nothing', async () => {
    const before = await readdir(stack.vfsPath);
    const cases: Array<[string, string, RegExp]> = [
      ['/volumes/create', '{"name": "x1", "colour": "red"}', /unknown field "colour"/],
      ['/volumes/create', '{"name": 5}', /field "name" must be string/],
      ['/volumes/create', '{"name": "x2", "size": -1}', /size/],
      ['/volumes/create', '{"name": "x3", "options": {"a": 1}}', /options\.a.*string/],
      ['/volumes/delete', '{}', /missing field "name"/],
      ['/volumes/create', '{"name": "x4",', /not valid JSON/],
      ['/volumes/create', '[1, 2]', /must be object/],
      ['/backups/create', '{"snapshot": "s", "dest": "vfs:///tmp", "compression": "zip"}', /compression.*allowed values/],
      ['/volumes/resize', '{"name": "x5"}', /missing field "size"/],
      ['/volumes/resize', '{"name": "x5", "size": "2.5g"}', /size "2.5g" is not a size/],
    ];
    for (const [route, body, message] of cases) {
      const res = await post(route, body);
      expect(res.status, `${route} ${body}`).toBe(400);
      expect(res.json(), `${route} ${body}`).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    }
    for (const name of ['../x', 'a', '', 'n'.repeat(300)]) {
      const res = await post('/volumes/create', JSON.stringify({ name }));
      expect(res.status, `name ${JSON.stringify(name)}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/name/) });
    }
    const huge = await post('/volumes/create', JSON.stringify({ name: 'huge', options: { junk: 'x'.repeat(stack.bodyLimit) } }));
    expect(huge.status).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/larger than the limit of \d+ bytes/) });

    expect(await client.listVolumes()).toEqual([]);
    expect(await readdir(stack.vfsPath)).toEqual(before);
  });

  it('parses bodies as JSON whatever the Content-Type says', async () => {
    const res = await post('/volumes/create', '{"name": "typed1"}', { 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    const none = await post('/volumes/delete', '{"name": "typed1"}', {});
    expect(none.status).toBe(200);
  });

  it('streams NDJSON when asked: the last line is the result or the error', async () => {
    const ok = await post('/volumes/create', '{"name": "nd1"}', { accept: 'application/x-ndjson' });
    expect(ok.contentType).toMatch(/application\/x-ndjson/);
    const okLines = ok.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(okLines.at(-1)).toMatchObject({ result: { name: 'nd1' } });

    const failed = await post('/volumes/create', '{"name": "nd1"}', { accept: 'application/x-ndjson' });
    expect(failed.status).toBe(200);
    const failedLines = failed.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(failedLines.at(-1)).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
    await client.deleteVolume('nd1', { referenceOnly: false });
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await rawRequest(stack.server.socketPath, 'GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'no such endpoint: GET /v1/nothing-here' });
  });
});
