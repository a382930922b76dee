import { CASES } from './cases.mjs';
import { find } from './summary.mjs';

const SERIES = [
  { key: 'convoy', label: 'Convoy', color: '#2b6cb0' },
  { key: 'restic', label: 'restic', color: '#dd6b20' },
  { key: 'borg', label: 'borg', color: '#38a169' },
  { key: 'ideal', label: 'ideal pipeline', color: '#a0aec0' },
];
const WIDTH = 860;
const PANEL_HEIGHT = 250;

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One titled panel of grouped vertical bars with value labels. */
function panel({ title, unit, groups, y }) {
  const left = 60;
  const top = y + 30;
  const plotHeight = PANEL_HEIGHT - 80;
  const plotWidth = WIDTH - left - 20;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value)), 1e-9);
  const groupWidth = plotWidth / groups.length;
  const parts = [`<text x="${left}" y="${y + 18}" font-size="14" font-weight="bold">${esc(title)}</text>`];
  parts.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#333"/>`);
  parts.push(`<text x="${left - 8}" y="${top + 4}" font-size="10" text-anchor="end">${esc(format(max))} ${esc(unit)}</text>`);
  groups.forEach((group, gi) => {
    const barWidth = Math.min(34, (groupWidth - 16) / Math.max(group.bars.length, 1));
    const start = left + gi * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, bi) => {
      const h = (bar.value / max) * plotHeight;
      const x = start + bi * barWidth;
      const color = SERIES.find((s) => s.key === bar.series).color;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotHeight - h).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(`${bar.series}: ${format(bar.value)} ${unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${(x + (barWidth - 3) / 2).toFixed(1)}" y="${(top + plotHeight - h - 3).toFixed(1)}" font-size="9" text-anchor="middle">${esc(format(bar.value))}</text>`,
      );
    });
    parts.push(
      `<text x="${(left + gi * groupWidth + groupWidth / 2).toFixed(1)}" y="${top + plotHeight + 16}" font-size="11" text-anchor="middle">${esc(group.label)}</text>`,
    );
  });
  return parts.join('\n');
}

function format(v) {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * The bench's chart, hand-written SVG: wall time per case on the local store (with the ideal
 * pipeline), the same on S3, and the bytes each backup added to the local store.
 */
export function renderChart({ summary, ideal, title }) {
  const seconds = (r) => (r.case === 'restore' ? r.durableSeconds : r.wallSeconds.median);
  const timeGroups = (store, withIdeal) =>
    CASES.map((c) => ({
      label: c.name === 'restore' ? 'restore (+fsync)' : c.name,
      bars: [
        ...['convoy', 'restic', 'borg'].flatMap((tool) => {
          const r = find(summary, tool, store, c.name);
          return r ? [{ series: tool, value: seconds(r) }] : [];
        }),
        ...(withIdeal && ideal?.[c.name] ? [{ series: 'ideal', value: ideal[c.name].seconds }] : []),
      ],
    })).filter((g) => g.bars.length > 0);
  const byteGroups = CASES.filter((c) => c.name !== 'restore')
    .map((c) => ({
      label: c.name,
      bars: ['convoy', 'restic', 'borg'].flatMap((tool) => {
        const r = find(summary, tool, 'local', c.name);
        return r ? [{ series: tool, value: r.storeBytesAdded / 1e6 }] : [];
      }),
    }))
    .filter((g) => g.bars.length > 0);
  const panels = [
    { title: 'Wall time, local directory store (lower is better)', unit: 's', groups: timeGroups('local', true) },
    { title: 'Wall time, S3 (s3rver on 127.0.0.1)', unit: 's', groups: timeGroups('s3', false) },
    { title: 'Wall time, S3 behind the latency proxy (a remote S3)', unit: 's', groups: timeGroups('s3-latency', false) },
    { title: 'Wall time, device-mapper guest (1 CPU, smaller image)', unit: 's', groups: timeGroups('devmapper', false) },
    { title: 'Bytes added to the local store', unit: 'MB', groups: byteGroups },
  ].filter((p) => p.groups.length > 0);
  const height = 50 + panels.length * PANEL_HEIGHT + 30;
  const legend = SERIES.map(
    (s, i) =>
      `<rect x="${60 + i * 150}" y="${height - 24}" width="12" height="12" fill="${s.color}"/><text x="${78 + i * 150}" y="${height - 14}" font-size="12">${esc(s.label)}</text>`,
  ).join('\n');
  const body = panels.map((p, i) => panel({ ...p, y: 40 + i * PANEL_HEIGHT })).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="24" font-size="16" font-weight="bold" text-anchor="middle">${esc(title)}</text>
${body}
${legend}
</svg>
`;
}
