// A schedule that names several stores (issue 21, the 3-2-1 rule): the first store gets each run's
// backup, every other store a copy of it (`backup copy`, so its name and times are the same
// everywhere), and each store keeps what its own retention says.

import { parseStoreUrl, type RetentionPolicy, validateRetentionPolicy } from '@convoy/backup-store';
import { ConvoyError, toConvoyError } from '@convoy/core';
import type { StoreOperations } from '../manager/types.js';
import type { ScheduleCopy, ScheduleSpec } from './types.js';

/** Checks `copies` as it arrives: store URLs, endpoints, each store's own policy; no store twice. */
export function validateScheduleCopies(name: string, value: unknown, first: string | undefined): ScheduleCopy[] {
  if (!Array.isArray(value)) throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: copies must be a list of stores`);
  if (value.length > 0 && first === undefined)
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: copies need a first store to back up to (--backup STORE)`);
  const seen = new Set([first]);
  return value.map((entry: unknown) => {
    const raw = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof raw.dest !== 'string' || raw.dest === '') throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: every --backup needs a store URL`);
    parseStoreUrl(raw.dest);
    if (seen.has(raw.dest))
      throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: store ${raw.dest} is named twice; give each --backup store once`, {
        details: { dest: raw.dest },
      });
    seen.add(raw.dest);
    const copy: ScheduleCopy = { dest: raw.dest };
    if (raw.endpoint !== undefined && raw.endpoint !== '') {
      if (typeof raw.endpoint !== 'string') throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: the endpoint of ${raw.dest} must be a URL string`);
      copy.endpoint = raw.endpoint;
    }
    if (raw.keep !== undefined) copy.keep = checkedStorePolicy(name, raw.dest, raw.keep);
    return copy;
  });
}

/** A store's own retention; like the schedule's, it always keeps the newest backup. */
export function checkedStorePolicy(name: string, dest: string, value: unknown): RetentionPolicy {
  const policy = validateRetentionPolicy(value);
  if (policy.allowRemovingNewest) throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: the retention of ${dest} may not remove the newest backup`);
  return policy;
}

/**
 * Copies the run's backup to every other store, one after the other. Any failure fails the run
 * (named by store) before any retention runs, so a store that missed a copy loses nothing; the
 * copies that worked stay. Only the run's own backup is copied: a store whose retention keeps
 * less than the first store's is never refilled with what it removed.
 */
export async function copyRunBackup(stores: StoreOperations, spec: ScheduleSpec, backupUrl: string): Promise<string[]> {
  const copiedTo: string[] = [];
  for (const copy of spec.copies ?? []) {
    try {
      await stores.copyBackups({
        from: spec.backup!.dest,
        to: copy.dest,
        backupUrl,
        ...(spec.backup!.endpoint === undefined ? {} : { fromEndpoint: spec.backup!.endpoint }),
        ...(copy.endpoint === undefined ? {} : { toEndpoint: copy.endpoint }),
      });
    } catch (err) {
      const failure = toConvoyError(err);
      const done = copiedTo.length > 0 ? `; it was copied to ${copiedTo.join(', ')}` : '';
      throw new ConvoyError(failure.code, `the copy of ${backupUrl} to ${copy.dest} failed: ${failure.message}${done}; no retention ran`, {
        cause: err,
        details: { dest: copy.dest, copiedTo },
      });
    }
    copiedTo.push(copy.dest);
  }
  return copiedTo;
}

/** Each copy store's retention (its own policy, else the schedule's --keep-*), after every copy worked. */
export async function forgetInCopies(stores: StoreOperations, spec: ScheduleSpec): Promise<Record<string, string[]>> {
  const removed: Record<string, string[]> = {};
  for (const copy of spec.copies ?? []) {
    const policy = copy.keep ?? spec.keep;
    if (!policy) continue;
    const report = await stores.forgetBackups(copy.dest, {
      volumeName: spec.volume,
      policy,
      ...(copy.endpoint === undefined ? {} : { endpoint: copy.endpoint }),
    });
    removed[copy.dest] = report.removed.map((b) => b.name);
  }
  return removed;
}
