import { invalidArgument, outOfRange } from './status.js';

export interface CapacityRange {
  required_bytes: number;
  limit_bytes: number;
}

/**
 * The size to create from a CSI capacity range: `required_bytes` rounded up to the driver's
 * unit, else the largest multiple of the unit within `limit_bytes`, else undefined (the
 * driver's default). OUT_OF_RANGE when no multiple of the unit fits the range.
 */
export function sizeFromRange(range: CapacityRange | null | undefined, unit: number): number | undefined {
  const required = range?.required_bytes ?? 0;
  const limit = range?.limit_bytes ?? 0;
  if (required < 0 || limit < 0) throw invalidArgument(`capacity_range must not be negative (required_bytes ${required}, limit_bytes ${limit})`);
  if (limit > 0 && required > limit) throw outOfRange(`capacity_range is impossible: required_bytes ${required} exceeds limit_bytes ${limit}`);
  if (required > 0) {
    const size = Math.ceil(required / unit) * unit;
    if (limit > 0 && size > limit) throw outOfRange(`${required} bytes rounded up to the driver's ${unit}-byte unit is ${size}, above limit_bytes ${limit}`);
    return size;
  }
  if (limit > 0) {
    const size = Math.floor(limit / unit) * unit;
    if (size === 0) throw outOfRange(`limit_bytes ${limit} is below the driver's ${unit}-byte unit`);
    return size;
  }
  return undefined;
}

/** Whether an existing volume of `capacity` bytes satisfies the range (for idempotent creates). */
export function capacityFits(capacity: number, range: CapacityRange | null | undefined): boolean {
  const required = range?.required_bytes ?? 0;
  const limit = range?.limit_bytes ?? 0;
  return capacity >= required && (limit === 0 || capacity <= limit);
}
