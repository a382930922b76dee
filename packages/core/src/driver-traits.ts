import type { DriverTraits, VolumeDriver } from './driver.js';
import { ConvoyError } from './errors.js';

/**
 * A driver's traits as front ends read them: what it declared (driver.ts, `traits`), with the
 * defaults filled in, plus what its other members already say (the create options it reads,
 * whether it reports changed blocks). One owner, so CSI and `convoy info` never guess a driver
 * from its name.
 */
export interface DriverTraitsView extends Required<DriverTraits> {
  /** Keys of the driver's `volumeOptions`: what StorageClass parameters and `--opt` may carry. */
  readonly createOptions: readonly string[];
  /** The driver has the changedBlocks facet (CSI SnapshotMetadata). */
  readonly changedBlocks: boolean;
}

/** A driver that declares nothing: directory-like volumes any node reaches, of no fixed size. */
export const DEFAULT_DRIVER_TRAITS: Required<DriverTraits> = { nodeLocal: false, blockDevice: false, sizeUnit: 1, honoursSize: false };

/** The view of one driver; INVALID_ARGUMENT when it declares a size unit that is not a whole number of bytes ≥ 1. */
export function driverTraitsOf(driver: VolumeDriver): DriverTraitsView {
  const declared = driver.traits ?? {};
  const sizeUnit = declared.sizeUnit ?? DEFAULT_DRIVER_TRAITS.sizeUnit;
  if (!Number.isSafeInteger(sizeUnit) || sizeUnit < 1) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `driver ${driver.name} declares a size unit of ${JSON.stringify(sizeUnit)}; it must be a whole number of bytes ≥ 1`,
    );
  }
  return {
    nodeLocal: declared.nodeLocal ?? DEFAULT_DRIVER_TRAITS.nodeLocal,
    blockDevice: declared.blockDevice ?? DEFAULT_DRIVER_TRAITS.blockDevice,
    sizeUnit,
    honoursSize: declared.honoursSize ?? DEFAULT_DRIVER_TRAITS.honoursSize,
    createOptions: (driver.volumeOptions ?? []).map((o) => o.key),
    changedBlocks: driver.changedBlocks !== undefined,
  };
}
