import { isConvoyError, type SnapshotRecord, type VolumeRecord } from '@convoy/core';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { type BackupUploads, isBackedUp } from './backup-uploads.js';
import { findBackup, notFoundAsUndefined } from './content-source.js';
import type { CsiContext } from './context.js';
import type { BackupSnapshotRecord } from './csi-records.js';
import type { ControllerHandlers } from './generated/csi/v1/Controller.js';
import type { PartialHandlerTable } from './handler-table.js';
import { formatSnapshotId, parseSnapshotId, requireField, type SnapshotId, snapshotNameFor } from './ids.js';
import { type CsiSnapshot, timestampOf } from './messages.js';
import { paginate } from './pagination.js';
import { parseSnapshotParameters } from './parameters.js';
import { alreadyExists, CsiStatusError, failedPrecondition, notFound } from './status.js';
import { capacityOf } from './volume-view.js';

/**
 * CreateSnapshot, DeleteSnapshot, ListSnapshots. A `snap` snapshot is a Convoy snapshot whose
 * name is its id. A `bak` snapshot is a Convoy snapshot plus its backup in a named target; its
 * id (`bak/<target>/<volume>/<snapshot>`) is enough for any node knowing that target to restore
 * or delete it.
 */
export function snapshotControllerHandlers(ctx: CsiContext, uploads: BackupUploads) {
  async function csiSnapshotOf(
    snapshot: SnapshotRecord,
    volume: VolumeRecord | undefined,
    bak: BackupSnapshotRecord | undefined,
    ready: boolean,
  ): Promise<CsiSnapshot> {
    const id = bak ? formatSnapshotId({ kind: 'bak', target: bak.target, volume: bak.volume, snapshot: bak.snapshot }) : snapshot.name;
    const size = volume ? capacityOf(volume, await ctx.records.volume(volume.name)) : 0;
    return { snapshot_id: id, source_volume_id: snapshot.volumeName, size_bytes: size, creation_time: timestampOf(snapshot.createdAt), ready_to_use: ready };
  }

  /** CreateSnapshot's answer: reports a failed upload of a `bak` snapshot, or (re)starts it. */
  async function reportOrStartUpload(bak: BackupSnapshotRecord | undefined): Promise<boolean> {
    if (!bak) return true;
    const target = ctx.targets.get(bak.target);
    // A target dropped from the configuration since: the backup may exist, but not from here.
    if (!target) return isBackedUp(bak);
    return uploads.reportOrStart(bak, target);
  }

  return {
    async CreateSnapshot(req: { source_volume_id: string; name: string; parameters: Record<string, string> }) {
      const name = requireField(req.name, 'name');
      const volumeId = requireField(req.source_volume_id, 'source_volume_id');
      const params = parseSnapshotParameters(req.parameters, ctx.targets);
      const snapshotName = snapshotNameFor(name);
      return ctx.locks.run(`snapshot:${snapshotName}`, async () => {
        let snapshot = await ctx.service.getSnapshot(snapshotName).catch(notFoundAsUndefined);
        let bak = await ctx.records.backup(snapshotName);
        if (snapshot) {
          if (snapshot.volumeName !== volumeId) throw alreadyExists(`snapshot ${name} already exists for volume ${snapshot.volumeName}, not ${volumeId}`);
          const wanted = params.type === 'bak' ? `bak to ${params.target.name}` : 'snap';
          const has = bak ? `bak to ${bak.target}` : 'snap';
          if (wanted !== has) throw alreadyExists(`snapshot ${name} already exists as a ${has} snapshot, not ${wanted}`);
        } else {
          const volume = await ctx.service.findVolume(volumeId).catch(notFoundAsUndefined);
          if (!volume) throw notFound(`source volume ${volumeId} does not exist`);
          if (params.type === 'bak') {
            // The record first: a crash after the snapshot still knows it must be backed up.
            bak = { csiName: name, target: params.target.name, volume: volumeId, snapshot: snapshotName, createdAt: new Date().toISOString() };
            await ctx.records.putBackup(bak);
          }
          try {
            snapshot = await ctx.service.createSnapshot(volumeId, snapshotName, params.consistent ? { consistent: true } : {});
          } catch (err) {
            if (bak) await ctx.records.removeBackup(snapshotName);
            throw err;
          }
          // CreateSnapshotResponse has no field for the hooks' report: the log keeps it.
          ctx.log.info('csi snapshot created', {
            snapshot: snapshotName,
            volume: volumeId,
            type: params.type,
            ...(snapshot.consistency ? { consistency: snapshot.consistency } : {}),
          });
        }
        const volume = await ctx.service.findVolume(volumeId).catch(notFoundAsUndefined);
        return { snapshot: await csiSnapshotOf(snapshot, volume, bak, await reportOrStartUpload(bak)) };
      });
    },

    async DeleteSnapshot(req: { snapshot_id: string }) {
      const text = requireField(req.snapshot_id, 'snapshot_id');
      const id = parseSnapshotId(text);
      if (!id) return {};
      await ctx.locks.run(`snapshot:${id.snapshot}`, async () => {
        if (id.kind === 'bak') {
          await uploads.settle(id.snapshot);
          await deleteBackupOf(ctx, id);
          await ctx.records.removeBackup(id.snapshot);
        }
        await ctx.service.deleteSnapshot(id.snapshot).catch(notFoundAsUndefined);
        ctx.log.info('csi snapshot deleted', { snapshot: text });
      });
      return {};
    },

    async ListSnapshots(req: { max_entries: number; starting_token: string; source_volume_id: string; snapshot_id: string }) {
      const volumes = await ctx.service.listVolumes();
      const byName = new Map(volumes.map((v) => [v.name, v]));
      const wantedId = req.snapshot_id ? parseSnapshotId(req.snapshot_id) : undefined;
      if (req.snapshot_id && !wantedId) return { entries: [], next_token: '' };
      const found: Array<{ snapshot: SnapshotRecord; bak: BackupSnapshotRecord | undefined }> = [];
      for (const volume of volumes) {
        if (req.source_volume_id && volume.name !== req.source_volume_id) continue;
        for (const snapshot of volume.snapshots) {
          if (wantedId && wantedId.snapshot !== snapshot.name) continue;
          found.push({ snapshot: { ...snapshot, volumeName: volume.name }, bak: await ctx.records.backup(snapshot.name) });
        }
      }
      // A read: readiness comes from the record; it never starts an upload or consumes its failure.
      const all = await Promise.all(
        found.map(({ snapshot, bak }) => csiSnapshotOf(snapshot, byName.get(snapshot.volumeName), bak, bak ? isBackedUp(bak) : true)),
      );
      const matching = wantedId ? all.filter((s) => s.snapshot_id === req.snapshot_id) : all;
      const page = paginate(matching, (s) => s.snapshot_id, req.max_entries, req.starting_token);
      return { entries: page.entries.map((snapshot) => ({ snapshot })), next_token: page.nextToken };
    },
  } satisfies PartialHandlerTable<ControllerHandlers>;
}

/** Deletes the backup a `bak/` id names; one already gone (or never finished) is fine. */
async function deleteBackupOf(ctx: CsiContext, id: Extract<SnapshotId, { kind: 'bak' }>): Promise<void> {
  if (!ctx.targets.has(id.target)) {
    throw failedPrecondition(
      `snapshot ${formatSnapshotId(id)} is in backup target ${id.target}, which this node does not know; its backup cannot be deleted from here`,
    );
  }
  let found;
  try {
    found = await findBackup(ctx, id);
  } catch (err) {
    if (err instanceof CsiStatusError && err.code === GrpcStatus.NOT_FOUND) return;
    throw err;
  }
  await ctx.stores.deleteBackup(found.backup.url, found.endpoint === undefined ? {} : { endpoint: found.endpoint }).catch((err: unknown) => {
    if (!isConvoyError(err, 'NOT_FOUND')) throw err;
  });
}
