import type { Extent } from '@convoy/core';
import type { DeltaKind, DeltaRange } from './thin-delta.js';

export interface ExtentGeometry {
  /** Bytes per thin block (pool block size). */
  poolBlockBytes: number;
  /** Extents are widened to multiples of this (the backup block size). */
  alignBytes: number;
  /** Nothing at or past this offset is reported (the snapshot's size). */
  limitBytes: number;
}

/**
 * Turns thin_delta ranges of the chosen kinds into sorted, merged byte extents aligned to the
 * backup block: a range is widened outward, never narrowed, so no changed byte is ever left out.
 */
export function rangesToExtents(ranges: readonly DeltaRange[], kinds: ReadonlySet<DeltaKind>, geometry: ExtentGeometry): Extent[] {
  const { poolBlockBytes, alignBytes, limitBytes } = geometry;
  const spans = ranges
    .filter((range) => kinds.has(range.kind) && range.length > 0)
    .map((range) => {
      const start = Math.floor((range.begin * poolBlockBytes) / alignBytes) * alignBytes;
      const end = Math.min(Math.ceil(((range.begin + range.length) * poolBlockBytes) / alignBytes) * alignBytes, limitBytes);
      return { start, end };
    })
    .filter((span) => span.start < span.end)
    .sort((a, b) => a.start - b.start);
  const extents: Extent[] = [];
  for (const { start, end } of spans) {
    const previous = extents[extents.length - 1];
    if (previous && start <= previous.offset + previous.length) {
      previous.length = Math.max(previous.length, end - previous.offset);
    } else {
      extents.push({ offset: start, length: end - start });
    }
  }
  return extents;
}

/** What an incremental backup must read: every block that is not provably the same. */
export const CHANGED_KINDS: ReadonlySet<DeltaKind> = new Set(['different', 'left_only', 'right_only']);
/** A snapshot compared with itself lists each mapped block once, as `same`. */
export const MAPPED_KINDS: ReadonlySet<DeltaKind> = new Set(['same']);
