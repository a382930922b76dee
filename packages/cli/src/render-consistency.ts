import type { ConsistencyReport, HookRunReport } from '@convoy/core';
import { layoutTable } from './table.js';

/**
 * What `snapshot create --consistent` shows on a terminal under the snapshot's name: whether
 * it is application- or crash-consistent, how the driver froze it, each container's hooks,
 * and every note (why no hook ran, what failed but was allowed to continue).
 */
export function renderConsistency(report: ConsistencyReport): string {
  const freeze =
    report.freeze === 'device-suspend' ? 'the device was suspended (filesystem frozen)' : 'no freeze (a directory copy; the pre-hooks make it consistent)';
  const lines = [`${report.mode}; ${freeze}`];
  if (report.containers.length > 0) {
    lines.push(
      layoutTable({
        headers: ['CONTAINER', 'ON-ERROR', 'PRE-SNAPSHOT', 'POST-SNAPSHOT'],
        rows: report.containers.map((c) => [c.name, c.onError, hookCell(c.pre), hookCell(c.post)]),
      }),
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

function hookCell(run: HookRunReport | undefined): string {
  if (!run) return '-';
  const detail = run.outcome === 'failed' ? ` (exit ${run.exitCode})` : '';
  return `${run.outcome}${detail} ${run.durationMs} ms`;
}
