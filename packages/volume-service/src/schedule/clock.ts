/** Time as the scheduler sees it; tests inject one they advance by hand. */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    // Pending schedules never keep a stopping process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
