import type { KeyInfo, VerifyReport } from '@convoy/backup-store';
import { age } from './age.js';
import type { Table } from './table.js';

/** `convoy backup verify`: one line per problem, then the damaged backups and a summary. */
export function renderVerify(report: VerifyReport): string {
  const lines = report.problems.map((p) => `${p.kind}: ${p.message}`);
  for (const url of report.damagedBackups) lines.push(`damaged backup: ${url}`);
  for (const volume of report.notChecked) lines.push(`not checked: volume ${volume.volumeName}: ${volume.message}`);
  const read = report.deep ? `, ${report.blocksRead} blocks and ${report.archivesRead} archives read` : '';
  const verdict =
    report.problems.length > 0
      ? `${report.problems.length} problem(s), ${report.damagedBackups.length} damaged backup(s)`
      : report.ok
        ? 'OK'
        : 'NO DAMAGE FOUND';
  const skipped = report.notChecked.length > 0 ? `, ${report.notChecked.length} volume(s) not checked` : '';
  lines.push(`${verdict}: ${report.volumes} volume(s), ${report.backups} backup(s), ${report.blocksReferenced} distinct blocks referenced${read}${skipped}`);
  return lines.join('\n');
}

export function renderKeys(keys: KeyInfo[]): Table {
  return {
    headers: ['ID', 'KIND', 'CREATED', 'STORE KEY', 'LABEL'],
    rows: keys.map((k) => [k.id, k.kind, age(k.createdAt), k.masterKeyId, k.label]),
  };
}
