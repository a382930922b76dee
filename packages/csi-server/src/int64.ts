import { invalidArgument, outOfRange } from './status.js';

/** A 64-bit integer as the server decodes it (proto.ts: decimal strings); numbers from in-process callers. */
export type Int64 = string | number;

/**
 * A non-negative int64 request field (a byte count or an offset) as an exact JS number. Beyond
 * 2^53 - 1, where a number can no longer hold every integer, it is OUT_OF_RANGE, and the
 * message shows the value digit for digit (9223372036854775807, never 9223372036854776000).
 */
export function int64Field(value: Int64 | null | undefined, field: string): number {
  if (value === null || value === undefined || value === '') return 0;
  let exact: bigint;
  try {
    exact = BigInt(value);
  } catch {
    throw invalidArgument(`${field} must be a whole number, not ${JSON.stringify(value)}`);
  }
  if (exact < 0n) throw invalidArgument(`${field} must not be negative, not ${exact.toString()}`);
  if (exact > BigInt(Number.MAX_SAFE_INTEGER))
    throw outOfRange(`${field} ${exact.toString()} is above the largest size Convoy handles, ${Number.MAX_SAFE_INTEGER}`);
  return Number(exact);
}
