import type { VolumeRecord } from '@convoy/core';
import { ConvoyError } from '@convoy/core';

/**
 * The host-wide name index: which driver owns each volume, which volume owns each snapshot,
 * and names being created right now. Volume and snapshot names share one namespace, so a
 * snapshot can never be mistaken for a volume (Convoy's NameUUIDIndex, without its gaps).
 *
 * The drivers are the truth; this is a cache of what they reported. Entries are added from
 * listings and removed only by this host's own deletes or when a driver no longer knows a
 * name, so a listing that races with a create never drops the new entry.
 */
export class VolumeIndex {
  private readonly volumeDriver = new Map<string, string>();
  private readonly snapshotVolume = new Map<string, string>();
  /** Volume names that more than one driver reports: refused until an operator resolves them. */
  private readonly conflicts = new Map<string, string[]>();
  private readonly reserved = new Map<string, 'volume' | 'snapshot'>();

  /**
   * Merges one driver's listing and returns the inconsistencies it shows (a volume also owned
   * by another driver, a snapshot name used twice or equal to a volume name).
   */
  merge(driver: string, volumes: readonly VolumeRecord[]): ConvoyError[] {
    const problems: ConvoyError[] = [];
    for (const volume of volumes) {
      const owner = this.volumeDriver.get(volume.name);
      if (owner !== undefined && owner !== driver) {
        problems.push(this.recordConflict(volume.name, [...new Set([...(this.conflicts.get(volume.name) ?? [owner]), driver])]));
        continue;
      }
      const snapshotOwner = this.snapshotVolume.get(volume.name);
      if (snapshotOwner !== undefined) {
        problems.push(
          new ConvoyError('STATE_ERROR', `volume ${volume.name} has the name of a snapshot of volume ${snapshotOwner}; rename or delete one of them`, {
            details: { volume: volume.name, snapshotOf: snapshotOwner },
          }),
        );
      }
      this.volumeDriver.set(volume.name, driver);
      for (const snapshot of volume.snapshots) {
        const problem = this.addSnapshotFromListing(snapshot.name, volume.name);
        if (problem) problems.push(problem);
      }
    }
    return problems;
  }

  addVolume(record: VolumeRecord, driver: string): void {
    this.volumeDriver.set(record.name, driver);
    for (const snapshot of record.snapshots) this.snapshotVolume.set(snapshot.name, record.name);
  }

  removeVolume(name: string): void {
    this.volumeDriver.delete(name);
    for (const [snapshot, volume] of this.snapshotVolume) if (volume === name) this.snapshotVolume.delete(snapshot);
  }

  addSnapshot(snapshot: string, volume: string): void {
    this.snapshotVolume.set(snapshot, volume);
  }

  removeSnapshot(snapshot: string): void {
    this.snapshotVolume.delete(snapshot);
  }

  driverOf(volume: string): string | undefined {
    return this.volumeDriver.get(volume);
  }

  volumeOf(snapshot: string): string | undefined {
    return this.snapshotVolume.get(snapshot);
  }

  conflictOf(volume: string): string[] | undefined {
    return this.conflicts.get(volume);
  }

  recordConflict(volume: string, drivers: string[]): ConvoyError {
    this.conflicts.set(volume, drivers);
    return new ConvoyError('STATE_ERROR', `volume ${volume} exists in drivers ${drivers.join(' and ')}; remove it from all but one before using it`, {
      details: { volume, drivers },
    });
  }

  /**
   * Claims `name` for a volume or snapshot about to be created. Synchronous on purpose: two
   * concurrent creates of one name cannot both pass. Throws ALREADY_EXISTS naming the holder.
   */
  reserve(name: string, kind: 'volume' | 'snapshot'): () => void {
    const taken = this.usageOf(name);
    if (taken) throw new ConvoyError('ALREADY_EXISTS', `${taken.describe}; choose another ${kind} name`, { details: { name } });
    this.reserved.set(name, kind);
    return () => {
      this.reserved.delete(name);
    };
  }

  private usageOf(name: string): { describe: string } | undefined {
    const driver = this.volumeDriver.get(name);
    if (driver !== undefined) return { describe: `a volume named ${name} already exists (driver ${driver})` };
    const conflict = this.conflicts.get(name);
    if (conflict) return { describe: `a volume named ${name} already exists (drivers ${conflict.join(' and ')})` };
    const volume = this.snapshotVolume.get(name);
    if (volume !== undefined) return { describe: `a snapshot named ${name} already exists (of volume ${volume})` };
    const pending = this.reserved.get(name);
    if (pending) return { describe: `a ${pending} named ${name} is being created right now` };
    return undefined;
  }

  private addSnapshotFromListing(snapshot: string, volume: string): ConvoyError | undefined {
    const owner = this.snapshotVolume.get(snapshot);
    if (owner !== undefined && owner !== volume) {
      return new ConvoyError('STATE_ERROR', `snapshot name ${snapshot} is used by volumes ${owner} and ${volume}; snapshot names must be unique on a host`, {
        details: { snapshot, volumes: [owner, volume] },
      });
    }
    if (this.volumeDriver.has(snapshot)) {
      return new ConvoyError('STATE_ERROR', `snapshot ${snapshot} of volume ${volume} has the name of a volume; rename or delete one of them`, {
        details: { snapshot, volume },
      });
    }
    this.snapshotVolume.set(snapshot, volume);
    return undefined;
  }
}
