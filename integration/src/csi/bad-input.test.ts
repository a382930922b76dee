import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { type CsiClients, collectStream, csiClients, grpcCode } from '@convoy/csi-server/testing';
import { tempDir } from '@convoy/test-support/tmp';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/** Every file under `dir` with its bytes' hash, and this namespace's mounts: what must not change. */
async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of (await readdir(at)).sort()) {
      const full = path.join(at, entry);
      const stats = await lstat(full);
      if (stats.isDirectory()) {
        out.push(`${full}/`);
        await walk(full);
      } else if (stats.isFile())
        out.push(
          `${full} ${createHash('sha256')
            .update(await readFile(full))
            .digest('hex')}`,
        );
      else out.push(`${full} (${stats.isSocket() ? 'socket' : 'other'})`);
    }
  };
  await walk(dir);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.includes(dir));
  return [...out, ...mounts];
}

/** Bad CSI input is refused with the spec's status code, naming the problem, and changes nothing. */
describe('CSI bad input', () => {
  let dir: string;
  let daemon: RunningDaemon;
  let csi: CsiClients;
  let kubelet: string;
  let volumeId: string;

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-bad-');
    kubelet = path.join(dir, 'kubelet');
    await mkdir(path.join(kubelet, 'plugins', 'v', 'globalmount'), { recursive: true });
    await mkdir(path.join(dir, 'store'));
    const socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, {
      csi: { socketPath: socket, nodeId: 'n1', backupTargets: [`local=vfs://${path.join(dir, 'store')}`], kubeletDir: kubelet, snapshotMetadata: true },
    });
    csi = csiClients(socket);
    volumeId = (await csi.controller.CreateVolume!({ name: 'pvc-kept', volume_capabilities: [MOUNT_RWO], parameters: {} })).volume.volume_id;
    await csi.controller.CreateSnapshot!({ name: 'kept-snap', source_volume_id: volumeId, parameters: {} });
  });
  afterAll(async () => {
    csi?.close();
    await daemon?.stop();
  });

  const long = 'x'.repeat(129);
  const cases: Array<[string, () => Promise<unknown>, status, RegExp]> = [
    ['CreateVolume without a name', () => csi.controller.CreateVolume!({ volume_capabilities: [MOUNT_RWO] }), status.INVALID_ARGUMENT, /name is required/],
    [
      'CreateVolume with a name over 128 bytes',
      () => csi.controller.CreateVolume!({ name: long, volume_capabilities: [MOUNT_RWO] }),
      status.INVALID_ARGUMENT,
      /128/,
    ],
    ['CreateVolume without capabilities', () => csi.controller.CreateVolume!({ name: 'pvc-x' }), status.INVALID_ARGUMENT, /volume_capabilities is required/],
    [
      'CreateVolume with a capability lacking an access mode',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [{ mount: {} }] }),
      status.INVALID_ARGUMENT,
      /access mode/,
    ],
    [
      'CreateVolume with an unknown parameter',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], parameters: { color: 'blue' } }),
      status.INVALID_ARGUMENT,
      /unknown StorageClass parameter "color"/,
    ],
    [
      'CreateVolume with a driver not enabled',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], parameters: { driver: 'zfs' } }),
      status.INVALID_ARGUMENT,
      /driver="zfs" names no enabled driver/,
    ],
    [
      'CreateVolume with Block access on vfs',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }),
      status.INVALID_ARGUMENT,
      /Block access type/,
    ],
    [
      'CreateVolume with required above limit',
      () =>
        csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], capacity_range: { required_bytes: 10 << 20, limit_bytes: 5 << 20 } }),
      status.OUT_OF_RANGE,
      /exceeds limit_bytes/,
    ],
    [
      'CreateVolume asking for 2^63 - 1 bytes (named exactly, not as a rounded float)',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], capacity_range: { required_bytes: '9223372036854775807' } }),
      status.OUT_OF_RANGE,
      /required_bytes 9223372036854775807 is above the largest size Convoy handles/,
    ],
    [
      'CreateVolume with a negative capacity',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], capacity_range: { required_bytes: -1 } }),
      status.INVALID_ARGUMENT,
      /negative/,
    ],
    [
      'CreateVolume from a snapshot that does not exist',
      () =>
        csi.controller.CreateVolume!({
          name: 'pvc-x',
          volume_capabilities: [MOUNT_RWO],
          volume_content_source: { snapshot: { snapshot_id: 'snapshot-nope' } },
        }),
      status.NOT_FOUND,
      /snapshot-nope does not exist/,
    ],
    [
      'CreateVolume from a bak snapshot in an unknown target',
      () =>
        csi.controller.CreateVolume!({
          name: 'pvc-x',
          volume_capabilities: [MOUNT_RWO],
          volume_content_source: { snapshot: { snapshot_id: 'bak/elsewhere/pvc-kept/kept' } },
        }),
      status.NOT_FOUND,
      /backup target elsewhere, which this node does not know/,
    ],
    [
      'CreateVolume from a bak snapshot with no backup',
      () =>
        csi.controller.CreateVolume!({
          name: 'pvc-x',
          volume_capabilities: [MOUNT_RWO],
          volume_content_source: { snapshot: { snapshot_id: 'bak/local/pvc-kept/never-taken' } },
        }),
      status.NOT_FOUND,
      /has no backup in target local/,
    ],
    [
      'CreateVolume from a volume that does not exist',
      () => csi.controller.CreateVolume!({ name: 'pvc-x', volume_capabilities: [MOUNT_RWO], volume_content_source: { volume: { volume_id: 'pvc-nope' } } }),
      status.NOT_FOUND,
      /pvc-nope/,
    ],
    [
      'CreateVolume reusing a name with another capacity',
      () => csi.controller.CreateVolume!({ name: 'pvc-kept', volume_capabilities: [MOUNT_RWO], capacity_range: { required_bytes: 1 << 30 } }),
      status.ALREADY_EXISTS,
      /outside the requested range/,
    ],
    ['CreateSnapshot without a source volume', () => csi.controller.CreateSnapshot!({ name: 's-x' }), status.INVALID_ARGUMENT, /source_volume_id is required/],
    [
      'CreateSnapshot of a volume that does not exist',
      () => csi.controller.CreateSnapshot!({ name: 's-x', source_volume_id: 'pvc-nope' }),
      status.NOT_FOUND,
      /pvc-nope does not exist/,
    ],
    [
      'CreateSnapshot with an unknown backupTarget',
      () => csi.controller.CreateSnapshot!({ name: 's-x', source_volume_id: volumeId, parameters: { type: 'bak', backupTarget: 'mars' } }),
      status.INVALID_ARGUMENT,
      /backupTarget "mars" is not configured/,
    ],
    [
      'CreateSnapshot with an unknown type',
      () => csi.controller.CreateSnapshot!({ name: 's-x', source_volume_id: volumeId, parameters: { type: 'tape' } }),
      status.INVALID_ARGUMENT,
      /type="tape"/,
    ],
    [
      'CreateSnapshot bak without a target',
      () => csi.controller.CreateSnapshot!({ name: 's-x', source_volume_id: volumeId, parameters: { type: 'bak' } }),
      status.INVALID_ARGUMENT,
      /needs the parameter backupTarget/,
    ],
    [
      'CreateSnapshot reusing a name for another volume',
      () => csi.controller.CreateSnapshot!({ name: 'kept-snap', source_volume_id: 'pvc-other' }),
      status.ALREADY_EXISTS,
      /already exists for volume pvc-kept/,
    ],
    [
      'DeleteVolume of a volume whose snapshot lives only on it',
      () => csi.controller.DeleteVolume!({ volume_id: volumeId }),
      status.FAILED_PRECONDITION,
      /snapshots that exist only on it \(kept-snap\)/,
    ],
    [
      'ControllerExpandVolume without a range',
      () => csi.controller.ControllerExpandVolume!({ volume_id: volumeId }),
      status.INVALID_ARGUMENT,
      /capacity_range is required/,
    ],
    ['ListVolumes with a token it never made', () => csi.controller.ListVolumes!({ starting_token: 'pvc-kept' }), status.ABORTED, /not made by this plugin/],
    [
      'NodeStageVolume at a path outside the kubelet directory',
      () => csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: '/etc/convoy-stage', volume_capability: MOUNT_RWO }),
      status.INVALID_ARGUMENT,
      /outside the kubelet directory/,
    ],
    [
      'NodeStageVolume at a path escaping the kubelet directory with ..',
      () => csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: `${kubelet}/../escape`, volume_capability: MOUNT_RWO }),
      status.INVALID_ARGUMENT,
      /normalised/,
    ],
    [
      'NodePublishVolume to a relative target path',
      () =>
        csi.node.NodePublishVolume!({
          volume_id: volumeId,
          staging_target_path: path.join(kubelet, 'plugins', 'v', 'globalmount'),
          target_path: 'pods/x/mount',
          volume_capability: MOUNT_RWO,
        }),
      status.INVALID_ARGUMENT,
      /absolute/,
    ],
    [
      'NodePublishVolume of a volume that does not exist',
      () =>
        csi.node.NodePublishVolume!({
          volume_id: 'pvc-nope',
          staging_target_path: path.join(kubelet, 's'),
          target_path: path.join(kubelet, 't'),
          volume_capability: MOUNT_RWO,
        }),
      status.NOT_FOUND,
      /pvc-nope/,
    ],
  ];

  it.each(cases)('%s is refused and changes nothing', async (_title, call, code, message) => {
    const before = await fingerprint(dir);
    const err = await call().then(
      () => new Error('the call succeeded'),
      (e: unknown) => e,
    );
    expect(grpcCode(err), String(err)).toBe(code);
    expect((err as { details: string }).details).toMatch(message);
    expect(await fingerprint(dir)).toEqual(before);
  });

  it('answers SnapshotMetadata with UNIMPLEMENTED for a driver without changed blocks (vfs), and does not advertise it', async () => {
    const caps = await csi.identity.GetPluginCapabilities!({});
    expect(caps.capabilities.map((c: { service?: { type: string } }) => c.service?.type)).not.toContain('SNAPSHOT_METADATA_SERVICE');
    const err = await collectStream(csi.snapshotMetadata.GetMetadataAllocated!({ snapshot_id: 'kept-snap' })).catch((e: unknown) => e);
    expect(grpcCode(err)).toBe(status.UNIMPLEMENTED);
    expect((err as { details: string }).details).toMatch(/driver vfs does not report changed blocks/);
  });
});
