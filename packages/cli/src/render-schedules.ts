import type { ScheduleRun, ScheduleView } from '@convoy/core';
import { table } from './printer.js';

/** `schedule list`: one row per schedule, with what an operator checks first. */
export function renderScheduleList(list: ScheduleView[]): string {
  if (list.length === 0) return 'no schedules';
  return table(
    ['NAME', 'VOLUME', 'WHEN', 'BACKUP TO', 'STATE', 'LAST RUN', 'LAST SUCCESS', 'NEXT RUN', 'LAST ERROR'],
    list.map((s) => [
      s.name,
      s.volume,
      s.every ? `every ${s.every}` : `cron ${s.cron}${s.timezone ? ` ${s.timezone}` : ''}`,
      s.backup?.dest ?? '-',
      s.running ? 'running' : s.paused ? `paused: ${s.pausedReason ?? ''}` : 'active',
      s.lastRun ? `${s.lastRun.startedAt} ${s.lastRun.outcome}` : '-',
      s.lastSuccessAt ?? '-',
      s.nextRunAt ?? '-',
      s.lastError ? `${s.lastError.at} ${s.lastError.message}` : '-',
    ]),
  );
}

export function renderScheduleRun(name: string, run: ScheduleRun): string {
  const parts = [`${name}: ${run.outcome}`, `snapshot ${run.snapshot ?? '-'}`];
  if (run.consistency) parts.push(`${run.consistency.mode}${run.consistency.containers.length > 0 ? ` (hooks: ${run.consistency.containers.join(', ')})` : ''}`);
  if (run.backupUrl) parts.push(`backup ${run.backupUrl}`);
  if (run.removedSnapshots || run.removedBackups) parts.push(`removed ${run.removedSnapshots ?? 0} snapshot(s), ${run.removedBackups ?? 0} backup(s)`);
  return parts.join('; ');
}
