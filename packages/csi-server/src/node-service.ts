import { rmdir, statfs, unlink } from 'node:fs/promises';
import type { VolumeRecord } from '@convoy/core';
import { type CapacityRange, sizeFromRange } from './capacity.js';
import { notFoundAsUndefined } from './content-source.js';
import { type CsiContext, nodeTopology, traitsOf } from './context.js';
import type { NodeHandlers } from './generated/csi/v1/Node.js';
import type { HandlerTable } from './handler-table.js';
import { requireField } from './ids.js';
import { existingOnDisk, prepareDirectory, prepareFile, requireKubeletPath } from './kubelet-paths.js';
import type { VolumeCapability } from './messages.js';
import { bindMount, isMountPoint, mountAt, unmount } from './mounts.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from './status.js';
import { requireCapability, unsupportedReason } from './volume-capabilities.js';
import { capacityOf } from './volume-view.js';

/**
 * Node: Stage mounts the Convoy volume once per node (the driver's mount) and binds it at the
 * staging path; Publish binds the staging path into each pod (read-only when asked); a block
 * volume's device node is bound straight to the pod's target file. Every call is idempotent.
 * Every path is resolved on disk first (kubelet-paths.ts): nothing is mounted, created or
 * removed through a symlink.
 */
export function nodeHandlers(ctx: CsiContext) {
  const anyNodeLocal = ctx.enabledDrivers.some((d) => traitsOf(ctx, d).nodeLocal);

  async function requireVolume(id: string): Promise<VolumeRecord> {
    const volume = await ctx.service.findVolume(id).catch(notFoundAsUndefined);
    if (!volume) throw notFound(`volume ${id} does not exist on node ${ctx.nodeId}`);
    return volume;
  }

  function checkCapability(cap: VolumeCapability, volume: VolumeRecord): void {
    const filesystem = volume.driverInfo['Filesystem'];
    const why = unsupportedReason(cap, volume.driver, traitsOf(ctx, volume.driver), typeof filesystem === 'string' ? filesystem : undefined);
    if (why) throw invalidArgument(why);
  }

  function deviceOf(volume: VolumeRecord): string {
    const device = volume.driverInfo['Device'];
    if (typeof device !== 'string' || device === '') throw failedPrecondition(`volume ${volume.name} has no block device`);
    return device;
  }

  /** Stats and expand: a volume path that cannot be a kubelet path holds no volume (NOT_FOUND, as the spec reads). */
  function volumePathOf(id: string, value: string): string {
    try {
      return requireKubeletPath(ctx.kubeletDir, value, 'volume_path');
    } catch (err) {
      throw notFound(`volume ${id} is not at ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }

  return {
    async NodeStageVolume(req: { volume_id: string; staging_target_path: string; volume_capability: VolumeCapability | null }) {
      const id = requireField(req.volume_id, 'volume_id');
      const staging = requireKubeletPath(ctx.kubeletDir, req.staging_target_path, 'staging_target_path');
      const cap = requireCapability(req.volume_capability);
      return ctx.locks.run(`node:${id}`, async () => {
        const volume = await requireVolume(id);
        checkCapability(cap, volume);
        // A block volume is used through its device node: nothing to mount once per node.
        if (cap.access_type === 'block') return {};
        await prepareDirectory(ctx.kubeletDir, staging, 'staging_target_path');
        if (await isMountPoint(staging)) return {};
        const mountpoint = await ctx.service.mountVolume(id);
        await bindMount(ctx.run, mountpoint, staging, false);
        ctx.log.info('csi volume staged', { volume: id, staging });
        return {};
      });
    },

    async NodeUnstageVolume(req: { volume_id: string; staging_target_path: string }) {
      const id = requireField(req.volume_id, 'volume_id');
      const staging = requireKubeletPath(ctx.kubeletDir, req.staging_target_path, 'staging_target_path');
      return ctx.locks.run(`node:${id}`, async () => {
        const present = await existingOnDisk(ctx.kubeletDir, staging, 'staging_target_path');
        if (present && (await isMountPoint(staging))) await unmount(ctx.run, staging);
        const volume = await ctx.service.findVolume(id).catch(notFoundAsUndefined);
        if (volume?.mountpoint) await ctx.service.umountVolume(id);
        ctx.log.info('csi volume unstaged', { volume: id, staging });
        return {};
      });
    },

    async NodePublishVolume(req: {
      volume_id: string;
      staging_target_path: string;
      target_path: string;
      volume_capability: VolumeCapability | null;
      readonly: boolean;
    }) {
      const id = requireField(req.volume_id, 'volume_id');
      const target = requireKubeletPath(ctx.kubeletDir, req.target_path, 'target_path');
      const cap = requireCapability(req.volume_capability);
      const staging = requireKubeletPath(ctx.kubeletDir, req.staging_target_path, 'staging_target_path');
      return ctx.locks.run(`node:${id}`, async () => {
        const volume = await requireVolume(id);
        checkCapability(cap, volume);
        const published = (await existingOnDisk(ctx.kubeletDir, target, 'target_path')) && (await mountAt(target));
        if (published) {
          if (published.readOnly !== req.readonly) {
            throw alreadyExists(
              `${target} is already published ${published.readOnly ? 'read-only' : 'read-write'}; it was asked ${req.readonly ? 'read-only' : 'read-write'}`,
            );
          }
          return {};
        }
        if (cap.access_type === 'block') {
          const device = deviceOf(volume);
          await prepareFile(ctx.kubeletDir, target, 'target_path');
          await bindMount(ctx.run, device, target, req.readonly);
        } else {
          const staged = (await existingOnDisk(ctx.kubeletDir, staging, 'staging_target_path')) && (await isMountPoint(staging));
          if (!staged) throw failedPrecondition(`volume ${id} is not staged at ${staging}; call NodeStageVolume first`);
          await prepareDirectory(ctx.kubeletDir, target, 'target_path');
          await bindMount(ctx.run, staging, target, req.readonly);
        }
        ctx.log.info('csi volume published', { volume: id, target, readonly: req.readonly });
        return {};
      });
    },

    async NodeUnpublishVolume(req: { volume_id: string; target_path: string }) {
      const id = requireField(req.volume_id, 'volume_id');
      const target = requireKubeletPath(ctx.kubeletDir, req.target_path, 'target_path');
      return ctx.locks.run(`node:${id}`, async () => {
        if (!(await existingOnDisk(ctx.kubeletDir, target, 'target_path'))) return {};
        if (await isMountPoint(target)) await unmount(ctx.run, target);
        // The spec has the plugin remove what it created at the target path (checked again:
        // what was under the mount is what gets removed).
        const stats = await existingOnDisk(ctx.kubeletDir, target, 'target_path');
        if (stats?.isDirectory()) await rmdir(target);
        else if (stats) await unlink(target);
        ctx.log.info('csi volume unpublished', { volume: id, target });
        return {};
      });
    },

    async NodeGetVolumeStats(req: { volume_id: string; volume_path: string }) {
      const id = requireField(req.volume_id, 'volume_id');
      requireField(req.volume_path, 'volume_path');
      const volume = await requireVolume(id);
      const volumePath = volumePathOf(id, req.volume_path);
      const stats = await existingOnDisk(ctx.kubeletDir, volumePath, 'volume_path');
      if (!stats || !(await isMountPoint(volumePath))) throw notFound(`volume ${id} is not mounted at ${volumePath}`);
      if (stats.isBlockDevice()) {
        const total = capacityOf(volume, await ctx.records.volume(id));
        return { usage: [{ unit: 'BYTES', total, available: 0, used: 0 }], volume_condition: null };
      }
      const fs = await statfs(volumePath);
      return {
        usage: [
          { unit: 'BYTES', total: fs.blocks * fs.bsize, available: fs.bavail * fs.bsize, used: (fs.blocks - fs.bfree) * fs.bsize },
          { unit: 'INODES', total: fs.files, available: fs.ffree, used: fs.files - fs.ffree },
        ],
        volume_condition: null,
      };
    },

    async NodeExpandVolume(req: { volume_id: string; volume_path: string; capacity_range: CapacityRange | null }) {
      const id = requireField(req.volume_id, 'volume_id');
      const volume = await requireVolume(id);
      const volumePath = volumePathOf(id, requireField(req.volume_path, 'volume_path'));
      if (!(await existingOnDisk(ctx.kubeletDir, volumePath, 'volume_path'))) throw notFound(`volume ${id} is not at ${volumePath}`);
      const record = await ctx.records.volume(id);
      const current = capacityOf(volume, record);
      const wanted = sizeFromRange(req.capacity_range, traitsOf(ctx, volume.driver).sizeUnit) ?? 0;
      // Convoy grows the filesystem with the volume (online when mounted); a node asked to grow
      // past the controller's size finishes the same grow here.
      if (volume.size > 0 && wanted > current) return { capacity_bytes: (await ctx.service.resizeVolume(id, wanted)).size };
      return { capacity_bytes: current };
    },

    async NodeGetInfo() {
      return { node_id: ctx.nodeId, max_volumes_per_node: 0, accessible_topology: anyNodeLocal ? nodeTopology(ctx) : null };
    },

    async NodeGetCapabilities() {
      return {
        capabilities: (['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'EXPAND_VOLUME'] as const).map((type) => ({ rpc: { type } })),
      };
    },
  } satisfies HandlerTable<NodeHandlers>;
}
