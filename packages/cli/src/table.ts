/**
 * The CLI's tables: commands describe rows, the printer lays them out for where they go. On a
 * terminal the table fits its width: the widest columns give up room first and cut cells end in
 * `…`; with --table into a pipe nothing is cut.
 */

export interface Table {
  headers: string[];
  rows: string[][];
  /** Printed instead of a table without rows (e.g. `no volumes`). */
  empty?: string;
  /** A line under the table (e.g. a summary). */
  footer?: string;
}

export const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && Array.isArray((value as Table).headers);

const GAP = 2;
/** No column is cut below its header or this many characters. */
const MIN_COLUMN = 8;

function fitWidths(natural: number[], floors: number[], width: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if ((widths[i] as number) > (floors[i] as number) && (widest < 0 || (widths[i] as number) > (widths[widest] as number))) widest = i;
    if (widest < 0) break;
    const next = Math.max(...widths.filter((_, i) => i !== widest && (widths[i] as number) < (widths[widest] as number)), floors[widest] as number);
    const cut = Math.min(excess, (widths[widest] as number) - next || 1, (widths[widest] as number) - (floors[widest] as number));
    widths[widest] = (widths[widest] as number) - cut;
    excess -= cut;
  }
  return widths;
}

const cut = (cell: string, width: number) => (cell.length <= width ? cell : `${cell.slice(0, Math.max(0, width - 1))}…`);

/** One header row, columns as wide as their widest cell, fitted to `width` when given. */
export function layoutTable(table: Table, width?: number): string {
  if (table.rows.length === 0 && table.empty !== undefined) return table.empty;
  const natural = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const floors = table.headers.map((h, i) => Math.min(natural[i] as number, Math.max(h.length, MIN_COLUMN)));
  const widths = width === undefined ? natural : fitWidths(natural, floors, width);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? cut(c, widths[i] as number) : cut(c, widths[i] as number).padEnd(widths[i] as number)))
      .join(' '.repeat(GAP))
      .trimEnd();
  const lines = [line(table.headers), ...table.rows.map(line)];
  if (table.footer !== undefined) lines.push(table.footer);
  return lines.join('\n');
}
