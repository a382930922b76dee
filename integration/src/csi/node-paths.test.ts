import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type RunningDaemon, startTestDaemon } from '@convoy/cli/testing';
import { type CsiClients, csiClients, grpcCode, isMountPoint } from '@convoy/csi-server/testing';
import { tempDir } from '@convoy/test-support/tmp';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MOUNT_RWO = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/**
 * CSI node paths are resolved on disk: a symlink planted inside the kubelet directory (as
 * the path itself or as one of its parents) never lets a stage, publish, unpublish, unstage,
 * stats or expand call mount over, create or remove anything outside it. Real symlinks in a
 * temporary kubelet directory; each case checks the directory outside is exactly as it was.
 */
describe('CSI node paths through symlinks', () => {
  let dir: string;
  let kubelet: string;
  let outside: string;
  let daemon: RunningDaemon;
  let csi: CsiClients;
  let volumeId: string;

  /** The outside directory's entries and contents, and whether anything is mounted on it. */
  async function outsideState(): Promise<{ entries: string[]; files: Record<string, string>; mounted: boolean }> {
    const entries = (await readdir(outside, { recursive: true })).sort();
    const files: Record<string, string> = {};
    for (const entry of entries) {
      const full = path.join(outside, entry);
      if ((await lstat(full)).isFile()) files[entry] = await readFile(full, 'utf8');
    }
    return { entries, files, mounted: await isMountPoint(outside) };
  }

  /** On code that follows the link the volume lands on `outside`: take it off again so nothing leaks from a failing run. */
  async function undoEscapedMounts(): Promise<void> {
    for (const at of [outside, path.join(outside, 'globalmount'), path.join(outside, 'mount')]) {
      while (await isMountPoint(at)) await promisify(execFile)('umount', [at]);
    }
  }

  async function refusedLeavingOutsideAlone(call: () => Promise<unknown>, pattern: RegExp): Promise<void> {
    const before = await outsideState();
    const err = await call().then(
      () => new Error('the call succeeded'),
      (e: unknown) => e,
    );
    const after = await outsideState();
    await undoEscapedMounts();
    expect(after).toEqual(before);
    expect(grpcCode(err), String(err)).toBe(status.INVALID_ARGUMENT);
    expect((err as { details: string }).details).toMatch(pattern);
  }

  beforeAll(async () => {
    dir = await tempDir('convoy-csi-paths-');
    kubelet = path.join(dir, 'kubelet');
    outside = path.join(dir, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'precious'), 'keep me');
    await mkdir(path.join(kubelet, 'plugins'), { recursive: true });
    await mkdir(path.join(kubelet, 'pods'), { recursive: true });
    const socket = path.join(dir, 'csi.sock');
    daemon = await startTestDaemon(dir, { csi: { socketPath: socket, nodeId: 'n1', backupTargets: [], kubeletDir: kubelet } });
    csi = csiClients(socket);
    volumeId = (await csi.controller.CreateVolume!({ name: 'pvc-paths', volume_capabilities: [MOUNT_RWO] })).volume.volume_id;
  });
  afterAll(async () => {
    await undoEscapedMounts();
    csi?.close();
    await daemon?.stop();
  });

  it('never stages onto a staging path that is a symlink', async () => {
    const staging = path.join(kubelet, 'plugins', 'linked-stage');
    await symlink(outside, staging);
    await refusedLeavingOutsideAlone(
      () => csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_RWO }),
      /is a symlink/,
    );
  });

  it('never stages below a symlinked parent', async () => {
    await symlink(outside, path.join(kubelet, 'plugins', 'linked-parent'));
    const staging = path.join(kubelet, 'plugins', 'linked-parent', 'globalmount');
    await refusedLeavingOutsideAlone(
      () => csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_RWO }),
      /goes through plugins\/linked-parent, which is a symlink/,
    );
  });

  it('never publishes below a symlinked parent', async () => {
    await symlink(outside, path.join(kubelet, 'pods', 'linked-pod'));
    const staging = path.join(kubelet, 'plugins', 'real', 'globalmount');
    await mkdir(staging, { recursive: true });
    await csi.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: staging, volume_capability: MOUNT_RWO });
    await refusedLeavingOutsideAlone(
      () =>
        csi.node.NodePublishVolume!({
          volume_id: volumeId,
          staging_target_path: staging,
          target_path: path.join(kubelet, 'pods', 'linked-pod', 'mount'),
          volume_capability: MOUNT_RWO,
          readonly: false,
        }),
      /goes through pods\/linked-pod, which is a symlink/,
    );
    await csi.node.NodeUnstageVolume!({ volume_id: volumeId, staging_target_path: staging });
    expect(await isMountPoint(staging)).toBe(false);
  });

  it('never removes a file outside through a symlinked parent on unpublish', async () => {
    await symlink(outside, path.join(kubelet, 'pods', 'linked-unpublish'));
    await refusedLeavingOutsideAlone(
      () => csi.node.NodeUnpublishVolume!({ volume_id: volumeId, target_path: path.join(kubelet, 'pods', 'linked-unpublish', 'precious') }),
      /goes through pods\/linked-unpublish, which is a symlink/,
    );
  });

  it('never unpublishes a target that is itself a symlink', async () => {
    const target = path.join(kubelet, 'pods', 'link-target');
    await symlink(path.join(outside, 'precious'), target);
    await refusedLeavingOutsideAlone(() => csi.node.NodeUnpublishVolume!({ volume_id: volumeId, target_path: target }), /is a symlink/);
    expect((await lstat(target)).isSymbolicLink()).toBe(true);
  });

  it('never unstages, reports on or expands through a symlink', async () => {
    const linked = path.join(kubelet, 'plugins', 'linked-other');
    await symlink(outside, linked);
    await refusedLeavingOutsideAlone(() => csi.node.NodeUnstageVolume!({ volume_id: volumeId, staging_target_path: linked }), /is a symlink/);
    await refusedLeavingOutsideAlone(() => csi.node.NodeGetVolumeStats!({ volume_id: volumeId, volume_path: linked }), /is a symlink/);
    await refusedLeavingOutsideAlone(
      () => csi.node.NodeExpandVolume!({ volume_id: volumeId, volume_path: path.join(linked, 'precious') }),
      /which is a symlink/,
    );
  });

  it('still treats a path that is not there as done (idempotent unpublish and unstage)', async () => {
    await csi.node.NodeUnpublishVolume!({ volume_id: volumeId, target_path: path.join(kubelet, 'pods', 'gone', 'mount') });
    await csi.node.NodeUnstageVolume!({ volume_id: volumeId, staging_target_path: path.join(kubelet, 'plugins', 'gone', 'globalmount') });
  });
});
