import { statfs } from 'node:fs/promises';
import { isConvoyError, type VolumeRecord } from '@convoy/core';
import { boundsOf, type CapacityRange, capacityFits, sizeFromRange } from './capacity.js';
import { checkSourceFits, contentSourceKey, createFromSource, notFoundAsUndefined, resolveSource } from './content-source.js';
import { type CsiContext, traitsOf } from './context.js';
import type { VolumeRecordCsi } from './csi-records.js';
import type { ControllerHandlers } from './generated/csi/v1/Controller.js';
import type { PartialHandlerTable } from './handler-table.js';
import { requireField, volumeIdFor } from './ids.js';
import type { ContentSource, Topology, VolumeCapability } from './messages.js';
import { paginate } from './pagination.js';
import { parseVolumeParameters } from './parameters.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, resourceExhausted } from './status.js';
import { requireCapabilities, unsupportedReason } from './volume-capabilities.js';
import { capacityOf, csiVolumeOf, driverFacts } from './volume-view.js';

interface CreateVolumeRequest {
  name: string;
  accessibility_requirements: { requisite: Topology[]; preferred: Topology[] } | null;
  capacity_range: CapacityRange | null;
  volume_capabilities: VolumeCapability[];
  parameters: Record<string, string>;
  volume_content_source: ContentSource | null;
}

/** The Controller calls about volumes (snapshots are in controller-snapshots.ts). */
export function volumeControllerHandlers(ctx: CsiContext) {
  const lookup = (id: string): Promise<VolumeRecord | undefined> => ctx.service.findVolume(id).catch(notFoundAsUndefined);

  async function refuseUnsupported(caps: VolumeCapability[], driver: string, filesystem: string | undefined): Promise<void> {
    for (const cap of caps) {
      const why = unsupportedReason(cap, driver, traitsOf(ctx, driver), filesystem);
      if (why) throw invalidArgument(why);
    }
  }

  /**
   * Deleting a volume takes its local snapshots with it (both drivers), so it is refused while
   * one holds data nowhere else: a `snap` snapshot, one made outside CSI, or a `bak` snapshot
   * whose backup has not finished. A finished `bak` snapshot lives on in its backup store.
   */
  async function refuseWhileSnapshotsDependOn(volume: VolumeRecord): Promise<void> {
    const dependent: string[] = [];
    for (const snapshot of volume.snapshots) {
      const bak = await ctx.records.backup(snapshot.name);
      if (!bak?.backupUrl) dependent.push(snapshot.name);
    }
    if (dependent.length > 0) {
      throw failedPrecondition(`volume ${volume.name} has snapshots that exist only on it (${dependent.join(', ')}); delete those VolumeSnapshots first`);
    }
  }

  /** A node-local volume is made on this node: a request that allows only other nodes cannot be met here. */
  function refuseOtherNodes(requirements: CreateVolumeRequest['accessibility_requirements']): void {
    const requisite = requirements?.requisite ?? [];
    if (requisite.length === 0) return;
    const here = requisite.some((t) => t.segments[ctx.topologyKey] === ctx.nodeId);
    if (!here) throw resourceExhausted(`this volume can only be made on node ${ctx.nodeId}, which the requisite topology does not include`);
  }

  return {
    async CreateVolume(req: CreateVolumeRequest) {
      const name = requireField(req.name, 'name');
      const caps = requireCapabilities(req.volume_capabilities);
      const params = parseVolumeParameters(req.parameters, ctx.driverTraits, ctx.defaultDriver);
      const driver = params.driver ?? ctx.defaultDriver;
      const traits = traitsOf(ctx, driver);
      const facts = traits.blockDevice ? await driverFacts(ctx, driver) : {};
      await refuseUnsupported(caps, driver, typeof facts['Filesystem'] === 'string' ? facts['Filesystem'] : undefined);
      if (traits.nodeLocal) refuseOtherNodes(req.accessibility_requirements);
      const size = sizeFromRange(req.capacity_range, traits.sizeUnit);
      const sourceKey = contentSourceKey(req.volume_content_source);
      const id = volumeIdFor(name);
      return ctx.locks.run(`volume:${id}`, async () => {
        const existing = await lookup(id);
        if (existing) {
          const record = await ctx.records.volume(id);
          const why = conflictWith(existing, record, { name, range: req.capacity_range, parameters: req.parameters, sourceKey });
          if (why) throw alreadyExists(`volume ${name} already exists with ${why}`);
          return { volume: await csiVolumeOf(ctx, existing, record) };
        }
        const source = await resolveSource(ctx, req.volume_content_source);
        if (source) checkSourceFits(source, driver, boundsOf(req.capacity_range).limit);
        const record: VolumeRecordCsi = { csiName: name, capacityBytes: size ?? 0, parameters: { ...req.parameters }, contentSource: sourceKey };
        await ctx.records.putVolume(id, record);
        let volume: VolumeRecord;
        try {
          volume = source
            ? await createFromSource(ctx, source, id, driver, params.options)
            : await ctx.service.createVolume({ name: id, driver, ...(size === undefined ? {} : { size }), options: params.options });
        } catch (err) {
          await ctx.records.removeVolume(id);
          throw err;
        }
        // A copy is its source's size; grow it to what was asked where the driver can.
        if (source && size !== undefined && volume.size > 0 && volume.size < size) volume = await ctx.service.resizeVolume(id, size);
        ctx.log.info('csi volume created', { volume: id, csiName: name, driver, size: volume.size, source: sourceKey || undefined });
        return { volume: await csiVolumeOf(ctx, volume, record) };
      });
    },

    async DeleteVolume(req: { volume_id: string }) {
      const id = requireField(req.volume_id, 'volume_id');
      await ctx.locks.run(`volume:${id}`, async () => {
        const volume = await lookup(id);
        if (volume) {
          await refuseWhileSnapshotsDependOn(volume);
          try {
            await ctx.service.deleteVolume(id, { referenceOnly: false });
          } catch (err) {
            if (isConvoyError(err, 'BUSY')) throw failedPrecondition(`volume ${id} is in use: ${err.message}`);
            if (!isConvoyError(err, 'NOT_FOUND')) throw err;
          }
          ctx.log.info('csi volume deleted', { volume: id });
        }
        await ctx.records.removeVolume(id);
      });
      return {};
    },

    async ControllerGetVolume(req: { volume_id: string }) {
      const id = requireField(req.volume_id, 'volume_id');
      const volume = await lookup(id);
      if (!volume) throw notFound(`volume ${id} does not exist`);
      return { volume: await csiVolumeOf(ctx, volume), status: { published_node_ids: [], volume_condition: null } };
    },

    async ListVolumes(req: { max_entries: number; starting_token: string }) {
      const volumes = await ctx.service.listVolumes();
      const page = paginate(volumes, (v) => v.name, req.max_entries, req.starting_token);
      const entries = await Promise.all(page.entries.map(async (v) => ({ volume: await csiVolumeOf(ctx, v) })));
      return { entries, next_token: page.nextToken };
    },

    async ValidateVolumeCapabilities(req: {
      volume_id: string;
      volume_capabilities: VolumeCapability[];
      parameters: Record<string, string>;
      volume_context: Record<string, string>;
    }) {
      const id = requireField(req.volume_id, 'volume_id');
      const caps = requireCapabilities(req.volume_capabilities);
      const volume = await lookup(id);
      if (!volume) throw notFound(`volume ${id} does not exist`);
      const filesystem = volume.driverInfo['Filesystem'];
      for (const cap of caps) {
        const why = unsupportedReason(cap, volume.driver, traitsOf(ctx, volume.driver), typeof filesystem === 'string' ? filesystem : undefined);
        if (why) return { confirmed: null, message: why };
      }
      return { confirmed: { volume_context: req.volume_context, volume_capabilities: caps, parameters: req.parameters, mutable_parameters: {} }, message: '' };
    },

    async ControllerExpandVolume(req: { volume_id: string; capacity_range: CapacityRange | null }) {
      const id = requireField(req.volume_id, 'volume_id');
      if (!req.capacity_range) throw invalidArgument('capacity_range is required');
      return ctx.locks.run(`volume:${id}`, async () => {
        const volume = await lookup(id);
        if (!volume) throw notFound(`volume ${id} does not exist`);
        const size = sizeFromRange(req.capacity_range, traitsOf(ctx, volume.driver).sizeUnit) ?? 0;
        const record = await ctx.records.volume(id);
        const current = capacityOf(volume, record);
        if (size <= current) return { capacity_bytes: current, node_expansion_required: false };
        if (volume.size > 0) {
          // The driver grows the filesystem too, online when mounted: nothing is left for the node.
          const grown = await ctx.service.resizeVolume(id, size);
          return { capacity_bytes: grown.size, node_expansion_required: false };
        }
        // A sizeless directory volume: the recorded capacity is all there is to grow.
        await ctx.records.putVolume(id, {
          csiName: record?.csiName ?? id,
          parameters: record?.parameters ?? {},
          contentSource: record?.contentSource ?? '',
          capacityBytes: size,
        });
        return { capacity_bytes: size, node_expansion_required: false };
      });
    },

    async GetCapacity(req: { parameters: Record<string, string> }) {
      const params = parseVolumeParameters(req.parameters, ctx.driverTraits, ctx.defaultDriver);
      const driver = params.driver ?? ctx.defaultDriver;
      return { available_capacity: await availableBytes(ctx, driver), maximum_volume_size: null, minimum_volume_size: null };
    },
  } satisfies PartialHandlerTable<ControllerHandlers>;
}

/** Free bytes for new volumes: the thin pool's free data, or the free space of the vfs path. */
async function availableBytes(ctx: CsiContext, driver: string): Promise<number> {
  const facts = await driverFacts(ctx, driver);
  const total = facts['DataTotalBytes'];
  const used = facts['DataUsedBytes'];
  if (typeof total === 'number' && typeof used === 'number') return Math.max(0, total - used);
  const dir = facts['Path'];
  if (typeof dir === 'string') {
    const stats = await statfs(dir);
    return stats.bavail * stats.bsize;
  }
  return 0;
}

/** Why an existing volume does not answer this CreateVolume, or undefined when it does. */
function conflictWith(
  volume: VolumeRecord,
  record: VolumeRecordCsi | undefined,
  req: { name: string; range: CapacityRange | null; parameters: Record<string, string>; sourceKey: string },
): string | undefined {
  if (!record || record.csiName !== req.name) return 'a Convoy volume of that id that was not created for this CSI name';
  const capacity = capacityOf(volume, record);
  if (!capacityFits(capacity, req.range)) return `capacity ${capacity} bytes, outside the requested range`;
  if (canonical(record.parameters) !== canonical(req.parameters)) return 'different parameters';
  if (record.contentSource !== req.sourceKey) return `a different content source (${record.contentSource || 'none'})`;
  return undefined;
}

function canonical(params: Record<string, string>): string {
  return JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1)));
}
