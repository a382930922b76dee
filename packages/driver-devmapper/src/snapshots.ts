import { ConvoyError, type SnapshotOps, type SnapshotRecord } from '@convoy/core';
import type { Intent } from './intent-log.js';
import type { SnapshotState, VolumeState } from './state-store.js';
import { snapshotRecord, type Volumes } from './volumes.js';

type DeleteSnapshotIntent = Extract<Intent, { op: 'delete-snapshot' }>;

/**
 * Instant thin snapshots. The origin is suspended while the kernel cuts the snapshot, which
 * also freezes its filesystem, so the snapshot is filesystem-consistent; it is resumed in a
 * `finally`. Snapshot devices stay inactive except while a backup reads them.
 */
export class Snapshots implements SnapshotOps {
  constructor(private readonly volumes: Volumes) {}

  /** The snapshot's state; NOT_FOUND naming what is missing. */
  require(volumeName: string, snapshotName: string): { volume: VolumeState; snapshot: SnapshotState } {
    const volume = this.volumes.require(volumeName);
    const snapshot = volume.snapshots[snapshotName];
    if (!snapshot) throw new ConvoyError('NOT_FOUND', `snapshot ${snapshotName} of volume ${volumeName} does not exist`);
    return { volume, snapshot };
  }

  async createSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord> {
    const volume = this.volumes.require(volumeName);
    if (volume.snapshots[snapshotName]) throw new ConvoyError('ALREADY_EXISTS', `volume ${volumeName} already has a snapshot named ${snapshotName}`);
    const { store, intents, pool, dm } = this.volumes.parts;
    const devId = await store.allocateDevId();
    await this.volumes.reached('create-snapshot:id-allocated', snapshotName);
    const intentId = await intents.record({ op: 'create-snapshot', volume: volumeName, snapshot: snapshotName, devId });
    await this.volumes.reached('create-snapshot:intent-recorded', snapshotName);
    try {
      const origin = this.volumes.deviceName(volume);
      const active = await dm.suspendIfPresent(origin);
      if (active) await this.volumes.reached('create-snapshot:origin-suspended', snapshotName);
      try {
        await pool.createSnapshot(devId, volume.devId);
        await this.volumes.reached('create-snapshot:thin-created', snapshotName);
      } finally {
        if (active) await dm.resume(origin);
      }
      await this.volumes.reached('create-snapshot:origin-resumed', snapshotName);
    } catch (err) {
      await pool.deleteThin(devId);
      await intents.clear(intentId);
      throw err;
    }
    const snapshot: SnapshotState = { devId, size: volume.size, createdAt: new Date().toISOString() };
    await store.saveVolume({ ...volume, snapshots: { ...volume.snapshots, [snapshotName]: snapshot } });
    await this.volumes.reached('create-snapshot:state-saved', snapshotName);
    await intents.clear(intentId);
    return snapshotRecord(volumeName, snapshotName, snapshot);
  }

  async deleteSnapshot(volumeName: string, snapshotName: string): Promise<void> {
    const { volume, snapshot } = this.require(volumeName, snapshotName);
    await this.volumes.assertDeletable(volume, { snapshot: snapshotName });
    const intent: DeleteSnapshotIntent = { op: 'delete-snapshot', volume: volumeName, snapshot: snapshotName, devId: snapshot.devId };
    const intentId = await this.volumes.parts.intents.record(intent);
    await this.finishDelete(intent);
    await this.volumes.parts.intents.clear(intentId);
  }

  /**
   * Deletes the snapshot's thin device and forgets it; safe to repeat after a crash. A snapshot
   * device is only active while a backup reads it, and then the pool refuses (BUSY).
   */
  async finishDelete(intent: DeleteSnapshotIntent): Promise<void> {
    await this.volumes.parts.pool.deleteThin(intent.devId);
    const volume = this.volumes.parts.store.volume(intent.volume);
    if (volume?.snapshots[intent.snapshot]?.devId === intent.devId) {
      delete volume.snapshots[intent.snapshot];
      await this.volumes.parts.store.saveVolume(volume);
    }
  }

  /** Undoes a snapshot create that did not complete (its caller never got the snapshot). */
  async rollBackCreate(intent: Extract<Intent, { op: 'create-snapshot' }>): Promise<void> {
    const volume = this.volumes.parts.store.volume(intent.volume);
    if (volume?.snapshots[intent.snapshot]?.devId === intent.devId) return;
    await this.volumes.parts.pool.deleteThin(intent.devId);
    this.volumes.parts.log.info('rolled back an unfinished snapshot', { volume: intent.volume, snapshot: intent.snapshot, devId: intent.devId });
  }

  async getSnapshot(volumeName: string, snapshotName: string): Promise<SnapshotRecord | undefined> {
    const volume = this.volumes.parts.store.volume(volumeName);
    const snapshot = volume && !volume.retainedAt ? volume.snapshots[snapshotName] : undefined;
    return snapshot && snapshotRecord(volumeName, snapshotName, snapshot);
  }

  async listSnapshots(volumeName: string): Promise<SnapshotRecord[]> {
    return this.volumes.record(this.volumes.require(volumeName)).snapshots;
  }
}
