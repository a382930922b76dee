import { type Int64, int64Field } from './int64.js';
import { outOfRange } from './status.js';

export interface CapacityRange {
  required_bytes: Int64;
  limit_bytes: Int64;
}

/** A range's two bounds as exact numbers (0: unset); refused when negative or beyond 2^53 - 1. */
export function boundsOf(range: CapacityRange | null | undefined): { required: number; limit: number } {
  return { required: int64Field(range?.required_bytes, 'capacity_range.required_bytes'), limit: int64Field(range?.limit_bytes, 'capacity_range.limit_bytes') };
}

/**
 * The size to create from a CSI capacity range: `required_bytes` rounded up to the driver's
 * unit, else the largest multiple of the unit within `limit_bytes`, else undefined (the
 * driver's default). OUT_OF_RANGE when no multiple of the unit fits the range.
 */
export function sizeFromRange(range: CapacityRange | null | undefined, unit: number): number | undefined {
  const { required, limit } = boundsOf(range);
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
  const { required, limit } = boundsOf(range);
  return capacity >= required && (limit === 0 || capacity <= limit);
}
