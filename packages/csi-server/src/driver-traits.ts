import { BACKUP_BLOCK_SIZE } from '@convoy/core';

/**
 * What CSI must know of a Convoy driver that the driver contract does not say. Drivers not
 * listed are treated as shared (no topology), mount-only, and taking no create options.
 */
interface DriverTraits {
  /** Per-volume create options it reads (`convoy create --opt`); other StorageClass keys are refused. */
  createOptions: readonly string[];
  /** Its volumes live on one node's disks: they carry topology and pods are scheduled there. */
  nodeLocal: boolean;
  /** Its volumes are block devices (driverInfo.Device), so the Block access type works. */
  block: boolean;
  /** It reports changed blocks (the driver's changedBlocks facet), so SnapshotMetadata is served. */
  changedBlocks: boolean;
  /** Sizes must be multiples of this many bytes (the pool block and the 2 MiB backup block). */
  sizeUnit: number;
}

const TRAITS: Readonly<Record<string, DriverTraits>> = {
  // A directory on a path that may be an NFS share every node mounts: reachable anywhere, and
  // sizeless (the capacity Kubernetes asked for is recorded, not enforced).
  vfs: { createOptions: ['vm'], nodeLocal: false, block: false, changedBlocks: false, sizeUnit: 1 },
  // Thin devices in this node's pool. Its default 2 MiB pool block makes this unit exact;
  // a bigger pool block is checked by the driver, which names the unit it needs.
  devicemapper: { createOptions: [], nodeLocal: true, block: true, changedBlocks: true, sizeUnit: BACKUP_BLOCK_SIZE },
};

const OTHER: DriverTraits = { createOptions: [], nodeLocal: false, block: false, changedBlocks: false, sizeUnit: 1 };

export function traitsOf(driver: string): DriverTraits {
  return TRAITS[driver] ?? OTHER;
}

export function createOptionsOf(driver: string): readonly string[] {
  return traitsOf(driver).createOptions;
}
