import { age } from './age.js';
import type { Table } from './table.js';

interface Row {
  name: string;
  createdAt: string;
  reasons?: readonly string[];
}

/** A forget's decision: one row per item, newest first, with why each kept one stays. */
export function renderForget(noun: 'backup' | 'snapshot', dryRun: boolean, kept: Row[], removed: Row[]): string | Table {
  const rows = [...kept.map((k) => ({ ...k, action: 'keep' })), ...removed.map((r) => ({ ...r, action: dryRun ? 'would remove' : 'removed' }))].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  );
  const summary = `${dryRun ? 'dry run: ' : ''}keeping ${kept.length} ${noun}(s), ${dryRun ? 'would remove' : 'removed'} ${removed.length}`;
  if (rows.length === 0) return summary;
  return {
    headers: ['ACTION', noun.toUpperCase(), 'CREATED', 'KEPT BECAUSE'],
    rows: rows.map((r) => [r.action, r.name, age(r.createdAt), (r.reasons ?? []).join(', ')]),
    footer: summary,
  };
}
