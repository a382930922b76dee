import type { Progress, ProgressListener } from '@convoy/core';
import type { SummaryListener } from '@convoy/plugin-server/client';
import { formatBytes } from './bytes.js';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
/** How often the time spent is redrawn while the daemon sends no progress. */
const WAITING_REDRAW_MS = 500;

export interface TerminalStream {
  write(text: string): boolean;
  columns?: number;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One line of the bar: phase, bar, percent, bytes, rate and time left. */
export function renderProgress(p: Progress, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (p.doneBytes * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (p.totalBytes <= 0) return `${p.phase} ${formatBytes(p.doneBytes)} ${rateText}`;
  const fraction = Math.min(1, p.doneBytes / p.totalBytes);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  const eta = rate > 0 ? (p.totalBytes - p.doneBytes) / rate : Number.NaN;
  return `${p.phase} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(p.doneBytes)}/${formatBytes(p.totalBytes)} ${rateText} ETA ${formatEta(eta)}`;
}

/** A duration as people read it: `850 ms`, `12.3 s`, `4:05`, `1:02:03`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatEta(ms / 1000).replace(/^0(\d):/, '$1:');
}

/** What one phase moved, for the closing summary. */
interface PhaseTally {
  phase: string;
  doneBytes: number;
  totalBytes: number;
  startedAt: number;
  lastAt: number;
}

/** The closing line: each phase's bytes, time and rate, then the whole command's time (as restic ends). */
export function renderSummary(phases: readonly PhaseTally[], totalMs: number): string {
  const parts = phases.map((t) => {
    const ms = t.lastAt - t.startedAt;
    const rate = ms > 0 ? `, ${formatBytes(Math.round((t.doneBytes * 1000) / ms))}/s` : '';
    return `${t.phase} ${formatBytes(t.doneBytes)} in ${formatDuration(ms)}${rate}`;
  });
  return `done: ${parts.join('; ')}; ${formatDuration(totalMs)} in all`;
}

/**
 * A progress bar redrawn in place on a terminal (carriage return, no dependency). The rate
 * and ETA are measured from the start of the current phase. `finish` ends it with a summary.
 */
export class ProgressBar {
  private phase: string | undefined;
  private phaseStart = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly startedAt: number;
  private readonly tallies: PhaseTally[] = [];
  private waiting: NodeJS.Timeout | undefined;
  private storedBytes: number | undefined;

  /** With `label`, the time spent so far shows until the daemon's first progress (prune and forget send none). */
  constructor(
    private readonly term: TerminalStream,
    private readonly now: () => number = Date.now,
    private readonly label?: string,
  ) {
    this.startedAt = now();
    if (label === undefined) return;
    this.drawWaiting();
    this.waiting = setInterval(() => this.drawWaiting(), WAITING_REDRAW_MS);
    this.waiting.unref();
  }

  private drawWaiting(): void {
    this.draw(`${this.label}: working, ${formatDuration(this.now() - this.startedAt)}`);
  }

  private draw(line: string): void {
    // A pseudo-terminal may report 0 columns.
    const width = (this.term.columns || 80) - 1;
    this.term.write(`\r${line.slice(0, width).padEnd(width)}`);
    this.drawn = true;
  }

  private stopWaiting(): void {
    clearInterval(this.waiting);
    this.waiting = undefined;
  }

  readonly listener: ProgressListener = (p) => {
    this.stopWaiting();
    const t = this.now();
    if (p.phase !== this.phase) {
      this.tallies.push({ phase: p.phase, doneBytes: p.doneBytes, totalBytes: p.totalBytes, startedAt: t, lastAt: t });
    } else {
      Object.assign(this.tallies.at(-1) as PhaseTally, { doneBytes: p.doneBytes, totalBytes: p.totalBytes, lastAt: t });
    }
    if (p.phase !== this.phase) {
      this.phase = p.phase;
      this.phaseStart = t;
      if (this.drawn) this.term.write('\n');
    } else if (t - this.lastDraw < REDRAW_MS && p.doneBytes < p.totalBytes) {
      return;
    }
    this.lastDraw = t;
    this.draw(renderProgress(p, t - this.phaseStart));
  };

  /** What the daemon says the operation stored (a backup's new blocks or archive, compressed). */
  readonly summaryListener: SummaryListener = (summary) => {
    this.storedBytes = summary.storedBytes;
  };

  /**
   * Ends the bar's line so the command's own output starts on a fresh one; when the command
   * succeeded, the summary follows.
   */
  finish(outcome: { succeeded: boolean } = { succeeded: false }): void {
    this.stopWaiting();
    if (this.drawn) this.term.write('\n');
    this.drawn = false;
    if (!outcome.succeeded || (this.tallies.length === 0 && this.label === undefined)) return;
    const extra = this.storedBytes === undefined ? '' : `; stored ${formatBytes(this.storedBytes)}`;
    const line =
      this.tallies.length > 0
        ? renderSummary(this.tallies, this.now() - this.startedAt)
        : `done: ${this.label} in ${formatDuration(this.now() - this.startedAt)}`;
    this.term.write(`${line}${extra}\n`);
    this.tallies.length = 0;
  }
}
