/*
 * Errors that say what to do: a volume held by Docker's containers names how many hold it
 * (its Docker mount IDs) instead of advising an unmount under them. Real stack: VolumeManager,
 * the vfs driver and the plugin server on a unix socket, driven as dockerd and the CLI drive it.
 */

import { tempDir } from '@convoy/test-support/tmp';
import { dockerCall } from '@convoy/test-support/unix-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test/test-stack.js';
import { ConvoyClient } from './client.js';

const dir = await tempDir('convoy-hints-');

describe('hints in API errors', () => {
  let stack: TestStack;
  let client: ConvoyClient;
  beforeAll(async () => {
    stack = await startTestStack(dir);
    client = new ConvoyClient(stack.server.socketPath);
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('delete of a volume Docker holds names how many container mounts hold it, and deletes nothing', async () => {
    const sock = stack.server.socketPath;
    expect(await dockerCall(sock, '/VolumeDriver.Create', { Name: 'held', Opts: null })).toEqual({ Err: '' });
    for (const id of ['a'.repeat(64), 'b'.repeat(64)]) expect((await dockerCall(sock, '/VolumeDriver.Mount', { Name: 'held', ID: id })).Err).toBe('');

    const err = await client.call('deleteVolume', { VolumeName: 'held', ReferenceOnly: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'BUSY',
      message:
        'volume held is in use by Docker: 2 container mounts hold it (mount IDs aaaaaaaaaaaa, bbbbbbbbbbbb); stop and remove those containers (`docker ps -a --filter volume=held`), then try again',
      details: { volume: 'held', dockerMountIds: ['a'.repeat(64), 'b'.repeat(64)] },
    });
    expect(await stack.manager.findVolume('held')).toBeDefined();

    // One container left: the count follows.
    await dockerCall(sock, '/VolumeDriver.Unmount', { Name: 'held', ID: 'a'.repeat(64) });
    await expect(client.call('deleteVolume', { VolumeName: 'held', ReferenceOnly: false })).rejects.toMatchObject({
      message: expect.stringContaining('1 container mount holds it (mount ID bbbbbbbbbbbb)'),
    });

    // Mounted by the CLI alone, the driver's own answer stays.
    await dockerCall(sock, '/VolumeDriver.Unmount', { Name: 'held', ID: 'b'.repeat(64) });
    await client.call('mountVolume', { VolumeName: 'held' });
    await expect(client.call('deleteVolume', { VolumeName: 'held', ReferenceOnly: false })).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringContaining('unmount it before deleting it'),
    });
    await client.call('umountVolume', { VolumeName: 'held' });
    await client.call('deleteVolume', { VolumeName: 'held', ReferenceOnly: false });
  });
});
