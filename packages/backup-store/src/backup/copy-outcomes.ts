// What a whole-store `backup copy` does with a volume it cannot copy: it records the volume's
// outcome and goes on with the next, so one bad volume never leaves every later one uncopied; at
// the end any failed volume fails the copy, naming each. What is not about one volume stops it.
import { ConvoyError, type ErrorCode, isConvoyError, toConvoyError } from '@convoy/core';
import type { CopyReport } from './copy.js';

/** One volume's outcome in a copy: what moved, or why it did not. */
export interface VolumeCopyOutcome {
  volumeName: string;
  /** Backups copied to the target (before the failure, when it failed). */
  copied: number;
  /** Backups the target already held. */
  skipped: number;
  /** Bytes stored in the target for this volume. */
  bytesCopied: number;
  /** Why the volume could not be copied (absent: it was). */
  error?: { code: ErrorCode; message: string };
}

/**
 * Failures that belong to one volume, which a whole-store copy records and goes past: its records
 * or data are damaged or missing (CORRUPT, NOT_FOUND), it is refused (INVALID_ARGUMENT: encryption,
 * layout, block size or driver mismatch), its key is missing (KEY_REQUIRED), or another process
 * holds its lock in either store (LOCKED: a delete or prune of that volume; a re-run copies it).
 * Everything else stops the copy at once: a cancel, a store that fails (STORE_ERROR: what fails
 * for one volume would fail for the next), anything unexpected.
 */
const PER_VOLUME: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CORRUPT', 'NOT_FOUND', 'INVALID_ARGUMENT', 'KEY_REQUIRED', 'LOCKED']);

/** True when `err` is about one volume and the copy may go on (never once the caller gave up). */
export function isVolumeFailure(err: unknown, signal: AbortSignal | undefined): err is ConvoyError {
  return signal?.aborted !== true && isConvoyError(err) && PER_VOLUME.has(err.code);
}

/** Failed volumes named in the error's message; the rest are in its details. */
const NAMED_IN_MESSAGE = 10;

/**
 * The error a whole-store copy ends with when any volume failed. Its code is the first failed
 * volume's (in name order; each one's own is in the details); the message names how many failed and which, with each
 * one's reason; details carry every failed volume and the whole report (what was copied).
 */
export function volumesFailedError(from: string, to: string, report: CopyReport): ConvoyError {
  const failed = report.volumes.filter((o) => o.error !== undefined);
  const first = failed[0]?.error;
  if (!first) throw new ConvoyError('INTERNAL', 'volumesFailedError needs a failed volume');
  const named = failed.slice(0, NAMED_IN_MESSAGE).map((o) => `${o.volumeName} (${o.error!.code}: ${o.error!.message})`);
  if (failed.length > NAMED_IN_MESSAGE) named.push(`and ${failed.length - NAMED_IN_MESSAGE} more (see the details)`);
  const copied = report.volumes.reduce((sum, o) => sum + o.copied, 0);
  return new ConvoyError(
    first.code,
    `${failed.length} of ${report.volumes.length} volume(s) could not be copied from ${from} to ${to}, the others were (${copied} backup(s) copied); ` +
      `run the copy again once they are fixed and it copies only what is missing: ${named.join('; ')}`,
    {
      details: {
        from,
        to,
        failed: failedList(failed),
        report,
      },
    },
  );
}

/**
 * The error that stopped a whole-store copy (a cancel, a failing store), keeping its code, and
 * saying which earlier volumes had failed too, so stopping never hides them; as it is when none had.
 */
export function stoppedError(err: unknown, report: CopyReport): unknown {
  const failed = report.volumes.filter((o) => o.error !== undefined);
  if (failed.length === 0) return err;
  const stop = toConvoyError(err);
  return new ConvoyError(
    stop.code,
    `${stop.message}; before it stopped, ${failed.length} volume(s) could not be copied: ${failed.map((o) => o.volumeName).join(', ')}`,
    {
      cause: err,
      details: { ...stop.details, failed: failedList(failed), report },
    },
  );
}

/** The failed volumes as details carry them: name, code, message. */
function failedList(failed: VolumeCopyOutcome[]): Array<{ volumeName: string; code?: ErrorCode; message?: string }> {
  return failed.map((o) => ({ volumeName: o.volumeName, ...o.error }));
}
