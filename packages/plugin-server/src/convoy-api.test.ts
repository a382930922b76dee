import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isConvoyError } from '@convoy/core';
import { tempDir } from '@convoy/test-support/tmp';
import { rawRequest } from '@convoy/test-support/unix-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test/test-stack.js';
import { ConvoyClient, type VolumeResponse } from './client.js';

const dir = await tempDir('convoy-api-');
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

describe("Convoy's API (Go Convoy's /v1 protocol) over the real unix socket", () => {
  let stack: TestStack;
  let client: ConvoyClient;
  const call = (method: string, route: string, body: string, headers: Record<string, string> = JSON_HEADERS) =>
    rawRequest(stack.server.socketPath, method, `/v1${route}`, body, headers);

  beforeAll(async () => {
    stack = await startTestStack(dir);
    client = new ConvoyClient(stack.server.socketPath);
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('walks a volume through create, mount, snapshot, inspect, umount and delete with the typed client', async () => {
    const info = await client.call('info', undefined);
    expect(info.General).toMatchObject({ DriverList: ['vfs'], DefaultDriver: 'vfs' });

    const created = (await client.call('createVolume', { Name: 'api1', Size: 1 << 20, Verbose: true })) as VolumeResponse;
    expect(created).toMatchObject({ Name: 'api1', Driver: 'vfs', MountPoint: '', Snapshots: {} });
    const mountpoint = await client.call('mountVolume', { VolumeName: 'api1' });
    expect(mountpoint).toBeTypeOf('string');
    await writeFile(path.join(mountpoint as string, 'hello.txt'), 'hello');
    expect((await client.call('inspectVolume', { VolumeName: 'api1' })).MountPoint).toBe(mountpoint);

    expect(await client.call('createSnapshot', { VolumeName: 'api1', Name: 'api1-snap' })).toBe('api1-snap');
    expect(await client.call('inspectSnapshot', { SnapshotName: 'api1-snap' })).toMatchObject({ Name: 'api1-snap', VolumeName: 'api1' });
    const list = (await client.call('listVolumes', undefined)) as Record<string, VolumeResponse>;
    expect(Object.keys(list.api1!.Snapshots)).toEqual(['api1-snap']);
    const facts = await client.call('listVolumes', undefined, { query: 'driver=1' });
    expect(facts.api1).toMatchObject({ Driver: 'vfs', VolumeName: 'api1', MountPoint: mountpoint });

    await client.call('deleteSnapshot', { SnapshotName: 'api1-snap' });
    await client.call('umountVolume', { VolumeName: 'api1' });
    expect((await client.call('inspectVolume', { VolumeName: 'api1' })).MountPoint).toBe('');
    await client.call('deleteVolume', { VolumeName: 'api1', ReferenceOnly: false });
    await expect(client.call('inspectVolume', { VolumeName: 'api1' })).rejects.toSatisfy((err) => isConvoyError(err, 'NOT_FOUND'));
  });

  it("reads JSON bodies on GET and DELETE, answers bare names unless Verbose, and serves every route without /v1 too, as Go's daemon did", async () => {
    const bare = await call('POST', '/volumes/create', JSON.stringify({ Size: 2 << 20 }));
    expect(bare.status).toBe(200);
    expect(bare.text).toMatch(/^volume-[0-9a-f]{16}$/);
    const inspected = await rawRequest(stack.server.socketPath, 'GET', '/volumes/', JSON.stringify({ VolumeName: bare.text }));
    expect(inspected.status).toBe(200);
    expect(inspected.json()).toMatchObject({ Name: bare.text, DriverInfo: { Size: expect.any(String) } });
    const deleted = await call('DELETE', '/volumes/', JSON.stringify({ VolumeName: bare.text, ReferenceOnly: false }));
    expect(deleted).toMatchObject({ status: 200, text: '' });
  });

  it('answers errors as {code, message} to clients that accept JSON, as plain text to the rest (Go), with the status of the code', async () => {
    const missing = await call('GET', '/volumes/', JSON.stringify({ VolumeName: 'nosuch' }));
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/nosuch/) });
    const missingText = await call('GET', '/volumes/', JSON.stringify({ VolumeName: 'nosuch' }), {});
    expect(missingText).toMatchObject({ status: 404, contentType: expect.stringMatching(/^text\/plain/), text: expect.stringMatching(/nosuch.*\n$/) });

    await client.call('createVolume', { Name: 'dup1' });
    const dup = await call('POST', '/volumes/create', JSON.stringify({ Name: 'dup1' }));
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'ALREADY_EXISTS' });
    const unknownDriver = await call('POST', '/volumes/create', JSON.stringify({ Name: 'nd1', DriverName: 'nosuch' }));
    expect(unknownDriver.status).toBe(400);
    expect(unknownDriver.json()).toMatchObject({ code: 'UNKNOWN_DRIVER' });
    const snapOfMissing = await call('POST', '/snapshots/create', JSON.stringify({ VolumeName: 'nosuch' }));
    expect(snapOfMissing.status).toBe(404);
    await client.call('deleteVolume', { VolumeName: 'dup1' });
  });

  it('refuses bad bodies with 400 or 413 and a message naming the problem, changing nothing', async () => {
    const before = await readdir(stack.vfsPath);
    const cases: Array<[string, string, string, RegExp]> = [
      ['POST', '/volumes/create', '{"Name": "x1", "Colour": "red"}', /unknown field "Colour"/],
      ['POST', '/volumes/create', '{"name": "x1"}', /unknown field "name"/],
      ['POST', '/volumes/create', '{"Name": 5}', /field "Name" must be string/],
      ['POST', '/volumes/create', '{"Name": "x2", "Size": -1}', /Size/],
      ['POST', '/volumes/create', '{"Name": "x2", "Size": "2g"}', /Size.*integer/],
      ['POST', '/volumes/create', '{"Name": "x3", "Options": {"a": 1}}', /Options\.a.*string/],
      ['DELETE', '/volumes/', '{}', /missing field "VolumeName"/],
      ['POST', '/volumes/create', '{"Name": "x4",', /not valid JSON/],
      ['POST', '/volumes/create', '[1, 2]', /must be object/],
      ['POST', '/backups/create', '{"SnapshotName": "s", "URL": "vfs:///tmp", "Compression": "zip"}', /Compression.*allowed values/],
      ['POST', '/backups/create', '{"SnapshotName": "s", "URL": "vfs:///tmp", "Layout": "zip"}', /Layout.*allowed values/],
      ['POST', '/backups/prune', '{"URL": "vfs:///tmp", "MaxUnusedPercent": "10%"}', /MaxUnusedPercent.*number/],
      ['POST', '/backups/prune', '{"URL": "vfs:///tmp", "MaxUnusedPercent": 101}', /MaxUnusedPercent.*<= 100/],
      ['POST', '/backups/prune', '{"URL": "vfs:///tmp", "MaxUnusedPercent": -1}', /MaxUnusedPercent.*>= 0/],
      ['POST', '/volumes/resize', '{"VolumeName": "x5"}', /missing field "Size"/],
    ];
    for (const [method, route, body, message] of cases) {
      const res = await call(method, route, body);
      expect(res.status, `${route} ${body}`).toBe(400);
      expect(res.json(), `${route} ${body}`).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    }
    for (const name of ['../x', 'a', 'n'.repeat(300)]) {
      const res = await call('POST', '/volumes/create', JSON.stringify({ Name: name }));
      expect(res.status, `name ${JSON.stringify(name)}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/name/) });
    }
    const huge = await call('POST', '/volumes/create', JSON.stringify({ Name: 'huge', Options: { junk: 'x'.repeat(stack.bodyLimit) } }));
    expect(huge.status).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/larger than the limit of \d+ bytes/) });

    expect(await client.call('listVolumes', undefined)).toEqual({});
    expect(await readdir(stack.vfsPath)).toEqual(before);
  });

  it('parses bodies as JSON whatever the Content-Type says', async () => {
    const res = await call('POST', '/volumes/create', '{"Name": "typed1"}', { 'content-type': 'text/plain' });
    expect(res).toMatchObject({ status: 200, text: 'typed1' });
    const none = await call('DELETE', '/volumes/', '{"VolumeName": "typed1"}', {});
    expect(none.status).toBe(200);
  });

  it('streams NDJSON when asked: the last line is the result or the error', async () => {
    const ok = await call('POST', '/volumes/create', '{"Name": "nd1", "Verbose": true}', { accept: 'application/x-ndjson' });
    expect(ok.contentType).toMatch(/application\/x-ndjson/);
    const okLines = ok.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(okLines.at(-1)).toMatchObject({ result: { Name: 'nd1' } });

    const failed = await call('POST', '/volumes/create', '{"Name": "nd1"}', { accept: 'application/x-ndjson' });
    expect(failed.status).toBe(200);
    const failedLines = failed.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failedLines.at(-1)).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
    await client.call('deleteVolume', { VolumeName: 'nd1' });
  });

  it("answers unknown routes with 404 (JSON or Go's text), and refuses another client API version as Go did", async () => {
    const json = await rawRequest(stack.server.socketPath, 'GET', '/v1/nothing-here', undefined, { accept: 'application/json' });
    expect(json.status).toBe(404);
    expect(json.json()).toEqual({ code: 'NOT_FOUND', message: 'no such endpoint: GET /v1/nothing-here' });
    const text = await rawRequest(stack.server.socketPath, 'GET', '/v1/nothing-here');
    expect(text).toMatchObject({ status: 404, text: 'Handler not found: GET /v1/nothing-here' });
    const future = await rawRequest(stack.server.socketPath, 'GET', '/v1/info', undefined, { 'user-agent': 'Convoy-Client/2' });
    expect(future).toMatchObject({ status: 404, text: "client version 2 doesn't match with server 1\n" });
  });
});
