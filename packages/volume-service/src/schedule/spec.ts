import { parseStoreUrl, validateCompression, validateLayout, validateRetentionPolicy } from '@convoy/backup-store';
import { ConvoyError, parseDuration, validateName } from '@convoy/core';
import { Cron } from 'croner';
import { checkedStorePolicy, validateScheduleCopies } from './backup-copies.js';
import { validateFollow } from './follow-standby.js';
import type { ScheduleSpec } from './types.js';

const SCHEDULE_NAME_MAX = 100;

/**
 * Checks a schedule as it arrives from a user and returns it normalised. Every problem is an
 * INVALID_ARGUMENT naming the field, raised before anything is saved.
 */
export function validateScheduleSpec(input: unknown): ScheduleSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConvoyError('INVALID_ARGUMENT', 'a schedule must be an object');
  const raw = input as Record<string, unknown>;
  const name = validateName(raw.name, 'schedule');
  if (name.length > SCHEDULE_NAME_MAX)
    throw new ConvoyError('INVALID_ARGUMENT', `schedule name is ${name.length} characters long; the limit is ${SCHEDULE_NAME_MAX}`);
  const spec: ScheduleSpec = { name, volume: validateName(raw.volume, 'volume') };
  if ((raw.every === undefined) === (raw.cron === undefined)) {
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: give exactly one of --every (e.g. 1h) and --cron (e.g. "0 3 * * *")`);
  }
  if (raw.every !== undefined) {
    spec.every = String(raw.every);
    intervalMs(spec);
    if (raw.timezone !== undefined) throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: --timezone only applies to --cron`);
  } else {
    spec.cron = String(raw.cron);
    if (raw.timezone !== undefined) spec.timezone = String(raw.timezone);
    if (nextOccurrence(spec, Date.now()) === undefined)
      throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: --cron ${JSON.stringify(spec.cron)} never fires`);
  }
  if (raw.follow !== undefined) spec.follow = validateFollow(name, raw);
  if (raw.backup !== undefined) spec.backup = validateBackupTarget(name, raw.backup);
  if (raw.copies !== undefined) spec.copies = validateScheduleCopies(name, raw.copies, spec.backup?.dest);
  if (raw.keep !== undefined) spec.keep = validateRetentionPolicy(raw.keep);
  if (spec.keep?.allowRemovingNewest) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `schedule ${name}: a schedule always keeps the newest snapshot and backup; --allow-removing-newest is only for backup forget and snapshot forget`,
    );
  }
  if (raw.jitter !== undefined) {
    spec.jitter = String(raw.jitter);
    jitterMs(spec);
  }
  if (raw.consistent !== undefined && typeof raw.consistent !== 'boolean') {
    throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: consistent must be true or false, not ${JSON.stringify(raw.consistent)}`);
  }
  if (raw.consistent === true) spec.consistent = true;
  return spec;
}

function validateBackupTarget(name: string, value: unknown): NonNullable<ScheduleSpec['backup']> {
  if (typeof value !== 'object' || value === null) throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: backup must name a store (--backup STORE)`);
  const raw = value as Record<string, unknown>;
  if (typeof raw.dest !== 'string' || raw.dest === '') throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: --backup needs a store URL`);
  parseStoreUrl(raw.dest);
  const target: NonNullable<ScheduleSpec['backup']> = { dest: raw.dest };
  if (raw.compression !== undefined) {
    target.compression = validateCompression(raw.compression);
  }
  if (raw.layout !== undefined) target.layout = validateLayout(raw.layout);
  if (raw.keep !== undefined) target.keep = checkedStorePolicy(name, raw.dest, raw.keep);
  // Whether the store's scheme takes an endpoint is its package's rule, checked when each run opens the store.
  if (raw.endpoint !== undefined && raw.endpoint !== '') {
    if (typeof raw.endpoint !== 'string')
      throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name}: the endpoint must be a URL string, not ${JSON.stringify(raw.endpoint)}`);
    target.endpoint = raw.endpoint;
  }
  return target;
}

function intervalMs(spec: ScheduleSpec): number {
  return parseDuration(spec.every!, '--every', 'interval');
}

function nextCronRun(spec: ScheduleSpec, after: Date): Date | null {
  try {
    // The time zone is only looked up when a time is computed, so a bad one fails here too.
    return new Cron(spec.cron!, { paused: true, timezone: spec.timezone ?? 'Etc/UTC', mode: '5-or-6-parts' }).nextRun(after);
  } catch (err) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `schedule ${spec.name}: invalid --cron ${JSON.stringify(spec.cron)}${spec.timezone ? ` in ${spec.timezone}` : ''}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The first time strictly after `afterMs` the schedule is due; undefined if a cron never fires again. */
export function nextOccurrence(spec: ScheduleSpec, afterMs: number): number | undefined {
  if (spec.every !== undefined) return afterMs + intervalMs(spec);
  return nextCronRun(spec, new Date(afterMs))?.getTime();
}

export function jitterMs(spec: ScheduleSpec): number {
  return spec.jitter === undefined ? 0 : parseDuration(spec.jitter, '--jitter', 'jitter');
}
