import type { RetentionPolicy } from '@convoy/backup-store';
import { ConvoyError, parseCount, parseDuration, parseKeepWithin } from '@convoy/core';
import { type ScheduleSpec, validateScheduleSpec } from '@convoy/volume-service';

const KEEP_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/**
 * `docker volume create -d convoy -o schedule=1h -o schedule-backup=s3://... -o schedule-keep-daily=7 db`
 * attaches a schedule named after the volume:
 *
 * - `schedule`: an interval (`30m`, `1h`, `1d`) or, when it holds spaces, a cron expression
 *   (`0 3 * * *`, UTC unless `schedule-timezone` names a zone);
 * - `schedule-backup` (store URL), `schedule-compression`, `schedule-layout`, `schedule-endpoint` (S3 endpoint);
 * - `schedule-keep-last|hourly|daily|weekly|monthly|yearly` (counts), `schedule-keep-within` (30d);
 * - `schedule-jitter` (e.g. 5m), `schedule-timezone` (e.g. Europe/Berlin);
 * - `schedule-consistent=true|false`: run the containers' snapshot hooks (schedule create --consistent).
 *
 * Returns the other options untouched and the schedule, checked before anything is created.
 */
export function scheduleFromDockerOpts(
  volume: string,
  opts: Record<string, string> | null | undefined,
): { volumeOpts: Record<string, string>; schedule?: ScheduleSpec } {
  const volumeOpts: Record<string, string> = {};
  const scheduleOpts = new Map<string, string>();
  for (const [key, value] of Object.entries(opts ?? {})) {
    if (key === 'schedule' || key.startsWith('schedule-')) scheduleOpts.set(key, value);
    else volumeOpts[key] = value;
  }
  if (scheduleOpts.size === 0) return { volumeOpts };
  const when = scheduleOpts.get('schedule');
  if (when === undefined) throw new ConvoyError('INVALID_ARGUMENT', `-o ${[...scheduleOpts.keys()][0]} needs -o schedule=<interval or cron> too`);
  const spec: Record<string, unknown> = { name: volume, volume, ...(when.trim().includes(' ') ? { cron: when.trim() } : { every: when.trim() }) };
  // Values are checked here first so that errors name the -o option the user wrote, not the CLI flag.
  if (spec.every !== undefined) parseDuration(when, '-o schedule', 'interval');
  const keep: Record<string, unknown> = {};
  const backup: Record<string, unknown> = {};
  for (const [key, value] of scheduleOpts) {
    const rule = key.slice('schedule-keep-'.length);
    if (key === 'schedule') continue;
    else if (key === 'schedule-backup') backup.dest = value;
    else if (key === 'schedule-compression') backup.compression = value;
    else if (key === 'schedule-layout') backup.layout = value;
    else if (key === 'schedule-endpoint') backup.endpoint = value;
    else if (key === 'schedule-jitter') {
      parseDuration(value, `-o ${key}`, 'jitter');
      spec.jitter = value;
    } else if (key === 'schedule-timezone') spec.timezone = value;
    else if (key === 'schedule-consistent') {
      if (value !== 'true' && value !== 'false') throw new ConvoyError('INVALID_ARGUMENT', `-o ${key}=${JSON.stringify(value)}: use true or false`);
      spec.consistent = value === 'true';
    } else if (key === 'schedule-keep-within') {
      parseKeepWithin(value, `-o ${key}`);
      keep.within = value;
    } else if (key.startsWith('schedule-keep-') && (KEEP_RULES as readonly string[]).includes(rule)) keep[rule] = parseCount(value, `-o ${key}`, 'keep');
    else
      throw new ConvoyError(
        'INVALID_ARGUMENT',
        `unknown option -o ${key}; schedule options are schedule, schedule-backup, schedule-compression, schedule-layout, schedule-endpoint, schedule-keep-{last,hourly,daily,weekly,monthly,yearly,within}, schedule-jitter, schedule-timezone, schedule-consistent`,
      );
  }
  if (Object.keys(backup).length > 0) {
    if (backup.dest === undefined)
      throw new ConvoyError('INVALID_ARGUMENT', '-o schedule-compression, -o schedule-layout and -o schedule-endpoint need -o schedule-backup=<store URL>');
    spec.backup = backup;
  }
  if (Object.keys(keep).length > 0) spec.keep = keep as RetentionPolicy;
  return { volumeOpts, schedule: validateScheduleSpec(spec) };
}
