import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { dockerCall, rawRequest } from '@convoy/test-support/unix-http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test/test-stack.js';
import { MOUNT_REFS_FILE } from './mount-refs.js';

const freshDir = await tempDirFactory('convoy-docker-');

/** Exactly what dockerd 20.10 sends (Docker's volume plugin protocol, /VolumeDriver.*, JSON bodies). */
describe('Docker volume plugin protocol over the real unix socket', () => {
  let dir: string;
  let stack: TestStack;
  const sock = () => stack.server.socketPath;

  beforeEach(async () => {
    dir = await freshDir();
    stack = await startTestStack(dir);
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('answers the handshake and capabilities with an empty body and no Content-Type', async () => {
    const activate = await rawRequest(sock(), 'POST', '/Plugin.Activate', '');
    expect(activate.status).toBe(200);
    expect(activate.json()).toEqual({ Implements: ['VolumeDriver'] });
    const bare = await rawRequest(sock(), 'POST', '/Plugin.Activate');
    expect(bare.json()).toEqual({ Implements: ['VolumeDriver'] });
    expect(await dockerCall(sock(), '/VolumeDriver.Capabilities', {})).toEqual({ Capabilities: { Scope: 'local' } });
  });

  it('creates idempotently, lists, gets with an RFC 3339 CreatedAt, and removes by reference only', async () => {
    expect((await dockerCall(sock(), '/VolumeDriver.Get', { Name: 'v1' })).Err).toMatch(/v1/);
    expect(await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'v1', Opts: null })).toEqual({ Err: '' });
    expect(await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'v1', Opts: null })).toEqual({ Err: '' });
    expect(await dockerCall(sock(), '/VolumeDriver.List', {})).toEqual({ Volumes: [{ Name: 'v1', Mountpoint: '' }], Err: '' });

    const got = (await dockerCall(sock(), '/VolumeDriver.Get', { Name: 'v1' })) as { Volume: Record<string, unknown>; Err: string };
    expect(got.Err).toBe('');
    expect(got.Volume.Name).toBe('v1');
    expect(got.Volume.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(got.Volume.Status).toMatchObject({ driver: 'vfs', dockerMounts: 0, snapshots: [] });

    const mountpoint = (await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'v1', ID: 'a'.repeat(64) })).Mountpoint as string;
    await writeFile(path.join(mountpoint, 'keep.txt'), 'data that docker volume rm must not destroy');
    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'v1', ID: 'a'.repeat(64) });

    expect(await dockerCall(sock(), '/VolumeDriver.Remove', { Name: 'v1' })).toEqual({ Err: '' });
    expect(await stack.manager.findVolume('v1')).toBeUndefined();
    expect(await readFile(path.join(mountpoint, 'keep.txt'), 'utf8')).toBe('data that docker volume rm must not destroy');
    // A volume that is already gone is a success, as dockerd expects.
    expect(await dockerCall(sock(), '/VolumeDriver.Remove', { Name: 'v1' })).toEqual({ Err: '' });
    expect(await dockerCall(sock(), '/VolumeDriver.List', {})).toEqual({ Volumes: [], Err: '' });
  });

  it('maps Opts: size with a suffix, driver, and refuses a bad size without creating anything', async () => {
    expect(await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'sized', Opts: { size: '64m', driver: 'vfs' } })).toEqual({ Err: '' });
    expect((await stack.manager.getVolume('sized')).driver).toBe('vfs');

    const bad = await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'badsize', Opts: { size: '12x' } });
    expect(bad.Err).toMatch(/"12x" is not a size/);
    const unknownDriver = await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'nodriver', Opts: { driver: 'nosuch' } });
    expect(unknownDriver.Err).toMatch(/nosuch/);
    // `docker volume create -o siez=1g`: a key the driver does not declare is refused, not ignored.
    const typo = await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'typo', Opts: { siez: '1g' } });
    expect(typo.Err).toMatch(/unknown option siez for driver vfs; known options: vm, PrepareForVM/);
    expect((await stack.manager.listVolumes()).map((v) => v.name)).toEqual(['sized']);
  });

  it('counts mounts by Docker mount ID: mounts on the first, unmounts on the last, repeats are idempotent', async () => {
    await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'shared', Opts: null });
    const idA = 'a'.repeat(64);
    const idB = 'b'.repeat(64);
    const first = await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'shared', ID: idA });
    expect(first.Err).toBe('');
    const mountpoint = first.Mountpoint as string;
    expect(existsSync(mountpoint)).toBe(true);
    expect(await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'shared', ID: idA })).toEqual({ Mountpoint: mountpoint, Err: '' });
    await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'shared', ID: idB });
    expect(
      ((await dockerCall(sock(), '/VolumeDriver.Get', { Name: 'shared' })) as { Volume: { Status: { dockerMounts: number } } }).Volume.Status.dockerMounts,
    ).toBe(2);

    // One container stops: the other keeps the volume mounted.
    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'shared', ID: idA });
    expect(await dockerCall(sock(), '/VolumeDriver.Path', { Name: 'shared' })).toEqual({ Mountpoint: mountpoint, Err: '' });
    expect((await stack.manager.getVolume('shared')).mountpoint).toBe(mountpoint);
    // An ID Convoy never counted changes nothing.
    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'shared', ID: 'c'.repeat(64) });
    expect((await stack.manager.getVolume('shared')).mountpoint).toBe(mountpoint);

    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'shared', ID: idB });
    expect((await stack.manager.getVolume('shared')).mountpoint).toBeUndefined();
    expect(await dockerCall(sock(), '/VolumeDriver.Path', { Name: 'shared' })).toEqual({ Mountpoint: '', Err: '' });
  });

  it('keeps mount counts across a daemon restart', async () => {
    await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'kept', Opts: null });
    const mountpoint = (await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'kept', ID: 'x1' })).Mountpoint;
    await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'kept', ID: 'x2' });
    const saved = JSON.parse(await readFile(path.join(stack.stateDir, MOUNT_REFS_FILE), 'utf8'));
    expect(saved.mounts.kept.sort()).toEqual(['x1', 'x2']);

    await stack.stop();
    stack = await startTestStack(dir);

    expect(await dockerCall(sock(), '/VolumeDriver.Path', { Name: 'kept' })).toEqual({ Mountpoint: mountpoint, Err: '' });
    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'kept', ID: 'x1' });
    expect((await stack.manager.getVolume('kept')).mountpoint).toBe(mountpoint);
    await dockerCall(sock(), '/VolumeDriver.Unmount', { Name: 'kept', ID: 'x2' });
    expect((await stack.manager.getVolume('kept')).mountpoint).toBeUndefined();
  });

  it('refuses to mount a missing volume unless create-on-docker-mount is on', async () => {
    const refused = await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'ghost', ID: 'g1' });
    expect(refused.Err).toMatch(/ghost does not exist.*--create-on-docker-mount/);
    expect(await stack.manager.findVolume('ghost')).toBeUndefined();

    await stack.stop();
    stack = await startTestStack(dir, { createOnDockerMount: true });
    const created = await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'ghost', ID: 'g1' });
    expect(created.Err).toBe('');
    expect((await stack.manager.getVolume('ghost')).mountpoint).toBe(created.Mountpoint);
  });

  it('with ignore-docker-delete, Remove leaves the volume in Convoy', async () => {
    await stack.stop();
    stack = await startTestStack(dir, { ignoreDockerDelete: true });
    await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'stays', Opts: null });
    expect(await dockerCall(sock(), '/VolumeDriver.Remove', { Name: 'stays' })).toEqual({ Err: '' });
    expect(await stack.manager.findVolume('stays')).toBeDefined();
  });

  it('releases mounts Docker abandoned when it removes the volume', async () => {
    await dockerCall(sock(), '/VolumeDriver.Create', { Name: 'leaky', Opts: null });
    // dockerd gave up on this Mount (its 120 s timeout) and never sends the Unmount.
    await dockerCall(sock(), '/VolumeDriver.Mount', { Name: 'leaky', ID: 'abandoned' });
    expect(await dockerCall(sock(), '/VolumeDriver.Remove', { Name: 'leaky' })).toEqual({ Err: '' });
    expect(await stack.manager.findVolume('leaky')).toBeUndefined();
    const saved = JSON.parse(await readFile(path.join(stack.stateDir, MOUNT_REFS_FILE), 'utf8'));
    expect(saved.mounts).toEqual({});
  });

  it('answers bad names, malformed JSON, wrong shapes and oversized bodies with Err and changes nothing', async () => {
    const before = await readdir(stack.vfsPath);
    for (const name of ['../x', 'a', '', 'n'.repeat(300)]) {
      const res = await dockerCall(sock(), '/VolumeDriver.Create', { Name: name, Opts: null });
      expect(res.Err, `name ${JSON.stringify(name)}`).toMatch(/name/);
    }
    const malformed = await rawRequest(sock(), 'POST', '/VolumeDriver.Create', '{"Name": "v1", ');
    expect(malformed.status).toBe(200);
    expect(malformed.json()).toEqual({ Err: expect.stringMatching(/not valid JSON/) });
    const wrongShape = await rawRequest(sock(), 'POST', '/VolumeDriver.Create', '{"Name": 7}');
    expect((wrongShape.json() as { Err: string }).Err).toMatch(/Name.*string/);
    const missingName = await rawRequest(sock(), 'POST', '/VolumeDriver.Mount', '{"ID": "x"}');
    expect((missingName.json() as { Err: string }).Err).toMatch(/missing field "Name"/);
    const huge = await rawRequest(sock(), 'POST', '/VolumeDriver.Create', JSON.stringify({ Name: 'big', Opts: { junk: 'x'.repeat(stack.bodyLimit) } }));
    expect(huge.status).toBe(200);
    expect((huge.json() as { Err: string }).Err).toMatch(/larger than the limit/);

    expect(await stack.manager.listVolumes()).toEqual([]);
    expect(await readdir(stack.vfsPath)).toEqual(before);
  });

  it('answers an unknown endpoint with 404 and Err', async () => {
    const res = await rawRequest(sock(), 'POST', '/VolumeDriver.Frobnicate', '{}');
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ Err: 'no such endpoint: POST /VolumeDriver.Frobnicate' });
  });

  it('a volume created outside Docker is visible to Docker', async () => {
    await stack.manager.createVolume({ name: 'fromcli' });
    const listed = (await dockerCall(sock(), '/VolumeDriver.List', {})) as { Volumes: { Name: string }[] };
    expect(listed.Volumes.map((v) => v.Name)).toContain('fromcli');
  });
});
