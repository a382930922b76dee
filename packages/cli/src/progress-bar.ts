import type { Progress, ProgressListener } from '@convoy/core';
import { formatBytes } from './bytes.js';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

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

/**
 * A progress bar redrawn in place on a terminal (carriage return, no dependency). The rate
 * and ETA are measured from the start of the current phase.
 */
export class ProgressBar {
  private phase: string | undefined;
  private phaseStart = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly term: TerminalStream,
    private readonly now: () => number = Date.now,
  ) {}

  readonly listener: ProgressListener = (p) => {
    const t = this.now();
    if (p.phase !== this.phase) {
      this.phase = p.phase;
      this.phaseStart = t;
      if (this.drawn) this.term.write('\n');
    } else if (t - this.lastDraw < REDRAW_MS && p.doneBytes < p.totalBytes) {
      return;
    }
    this.lastDraw = t;
    // A pseudo-terminal may report 0 columns.
    const width = (this.term.columns || 80) - 1;
    this.term.write(`\r${renderProgress(p, t - this.phaseStart).slice(0, width).padEnd(width)}`);
    this.drawn = true;
  };

  /** Ends the bar's line so the command's own output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.term.write('\n');
    this.drawn = false;
  }
}
