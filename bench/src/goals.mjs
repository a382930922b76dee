import { PATTERNS } from './dataset.mjs';
import { find } from './summary.mjs';

const MiB = 2 ** 20;
const s = (x) => `${x.toFixed(2)} s`;
const mb = (x) => `${(x / 1e6).toFixed(1)} MB`;
const times = (x) => `${x.toFixed(2)}×`;

/**
 * Issue 5's goals, each checked against the same run's medians: reached or not, with the
 * ratio. A goal whose figures are missing (a subset run) is left out.
 */
export function evaluateGoals(summary, ideal) {
  const goals = [];
  const add = (goal, where, reached, ratio, detail) => goals.push({ goal, where, reached, ratio, detail });
  const stores = [...new Set(summary.filter((r) => r.tool === 'convoy').map((r) => r.store))];

  for (const store of stores) {
    const convoy = find(summary, 'convoy', store, 'full');
    for (const peer of ['restic', 'borg']) {
      const other = find(summary, peer, store, 'full');
      if (!convoy || !other) continue;
      const ratio = convoy.wallSeconds.median / other.wallSeconds.median;
      add(`Full backup faster than ${peer}`, store, ratio < 1, ratio, `Convoy ${s(convoy.wallSeconds.median)} vs ${peer} ${s(other.wallSeconds.median)}`);
    }
    for (const p of PATTERNS) {
      const c = find(summary, 'convoy', store, `incr-${p.name}`);
      const r = find(summary, 'restic', store, `incr-${p.name}`);
      if (!c || !r) continue;
      const ratio = c.wallSeconds.median / r.wallSeconds.median;
      add(`Incremental (${p.title}) at most 0.25 × restic's time`, store, ratio <= 0.25, ratio, `Convoy ${s(c.wallSeconds.median)} vs restic ${s(r.wallSeconds.median)}`);
    }
    for (const p of PATTERNS) {
      const c = find(summary, 'convoy', store, `incr-${p.name}`);
      const r = find(summary, 'restic', store, `incr-${p.name}`);
      if (!c || !r) continue;
      const ratio = c.storeBytesAdded / r.storeBytesAdded;
      const bound = p.name === 'p1' ? 2 : 1;
      const goal = p.name === 'p1' ? "Bytes stored, scattered 64 KiB writes: within 2 × restic's" : `Bytes stored, ${p.title}: no more than restic's`;
      add(goal, store, ratio <= bound, ratio, `Convoy ${mb(c.storeBytesAdded)} vs restic ${mb(r.storeBytesAdded)}`);
    }
    const cr = find(summary, 'convoy', store, 'restore');
    const rr = find(summary, 'restic', store, 'restore');
    if (cr && rr) {
      const ratio = rr.durableSeconds / cr.durableSeconds;
      add("Restore throughput at least restic's (time to a durable image)", store, ratio >= 1, ratio, `Convoy ${s(cr.durableSeconds)} vs restic ${s(rr.durableSeconds)}`);
    }
    const rss = summary.filter((r) => r.tool === 'convoy' && r.store === store && r.case !== 'init');
    if (rss.length) {
      const worst = rss.reduce((a, b) => (a.maxRssBytes >= b.maxRssBytes ? a : b));
      add('Peak RSS under 256 MiB', store, worst.maxRssBytes < 256 * MiB, worst.maxRssBytes / (256 * MiB), `worst: ${(worst.maxRssBytes / MiB).toFixed(0)} MiB (${worst.case})`);
    }
  }
  for (const caseName of ['full', 'restore']) {
    const c = find(summary, 'convoy', 'local', caseName);
    const i = ideal?.[caseName];
    if (!c || !i) continue;
    const measured = caseName === 'restore' ? c.durableSeconds : c.wallSeconds.median;
    const ratio = measured / i.seconds;
    add(`${caseName === 'full' ? 'Full backup' : 'Restore'} within 2 × the ideal pipeline`, 'local', ratio <= 2, ratio, `Convoy ${s(measured)} vs ideal ${s(i.seconds)}`);
  }
  return goals.map((g) => ({ ...g, ratioText: times(g.ratio) }));
}
