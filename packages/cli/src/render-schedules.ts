import type { ScheduleRun, ScheduleView } from '@convoy/volume-service';
import { age } from './age.js';
import type { Table } from './table.js';

/** `schedule list`: one row per schedule, with what an operator checks first. */
export function renderScheduleList(list: ScheduleView[]): Table {
  return {
    headers: ['NAME', 'VOLUME', 'WHEN', 'BACKUP TO', 'STATE', 'LAST RUN', 'LAST SUCCESS', 'NEXT RUN', 'LAST ERROR'],
    empty: 'no schedules',
    rows: list.map((s) => [
      s.name,
      s.volume,
      s.every ? `every ${s.every}` : `cron ${s.cron}${s.timezone ? ` ${s.timezone}` : ''}`,
      s.backup ? `${s.backup.dest}${s.copies?.length ? ` +${s.copies.length} by copy` : ''}` : s.follow ? `follows ${s.follow.store}` : '-',
      s.running ? 'running' : s.paused ? `paused: ${s.pausedReason ?? ''}` : 'active',
      s.lastRun ? `${s.lastRun.outcome} ${age(s.lastRun.startedAt)}` : '-',
      age(s.lastSuccessAt),
      age(s.nextRunAt),
      s.lastError ? `${age(s.lastError.at)}: ${s.lastError.message}` : '-',
    ]),
  };
}

export function renderScheduleRun(name: string, run: ScheduleRun): string {
  const parts = [
    `${name}: ${run.outcome}`,
    run.standbySync ? `standby ${run.standbySync.from} -> ${run.standbySync.to} (${run.standbySync.method})` : `snapshot ${run.snapshot ?? '-'}`,
  ];
  if (run.consistency)
    parts.push(`${run.consistency.mode}${run.consistency.containers.length > 0 ? ` (hooks: ${run.consistency.containers.join(', ')})` : ''}`);
  if (run.backupUrl) parts.push(`backup ${run.backupUrl}`);
  if (run.copiedTo?.length) parts.push(`copied to ${run.copiedTo.join(', ')}`);
  if (run.removed) {
    // Retention's removals by name: what a run removed is never a bare count.
    for (const [noun, names] of [
      ['snapshot', run.removed.snapshots],
      ['backup', run.removed.backups],
    ] as const) {
      if (names.length > 0) parts.push(`removed ${noun}${names.length === 1 ? '' : 's'} ${names.join(', ')}`);
    }
    for (const [store, names] of Object.entries(run.removed.copies ?? {})) if (names.length > 0) parts.push(`removed from ${store}: ${names.join(', ')}`);
  } else if (run.removedSnapshots || run.removedBackups) {
    // A daemon from before names were kept.
    parts.push(`removed ${run.removedSnapshots ?? 0} snapshot(s), ${run.removedBackups ?? 0} backup(s)`);
  }
  return parts.join('; ');
}
