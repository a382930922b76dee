import type { Clock } from '../schedule/clock.js';

/** A clock that moves only when a test advances it; timers fire in time order as it passes them. */
export class FakeClock implements Clock {
  private timers: Array<{ at: number; fn: () => void }> = [];

  constructor(private ms: number) {}

  now(): number {
    return this.ms;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.ms + Math.max(0, ms), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own time. */
  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = Math.max(this.ms, next.at);
      next.fn();
    }
    this.ms = target;
  }

  /** Jumps without firing anything (the daemon was down). */
  set(ms: number): void {
    this.ms = ms;
    this.timers = [];
  }
}
