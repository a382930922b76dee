import type { Logger } from '@convoy/core';
import { ConvoyError, KeyedMutex, toConvoyError, validateName } from '@convoy/core';
import type { StoreOperations, VolumeService } from '../manager/types.js';
import { type Clock, systemClock } from './clock.js';
import { checkFollowTarget, followStandby } from './follow-standby.js';
import { runSchedule, VolumeGoneError } from './run-schedule.js';
import { loadSchedules, saveSchedules } from './schedule-file.js';
import { jitterMs, nextOccurrence, validateScheduleSpec } from './spec.js';
import type { Schedule, ScheduleError, ScheduleRun, ScheduleRunEvent, ScheduleService, ScheduleSpec, ScheduleView } from './types.js';

export interface SchedulerOptions {
  /** `<root>/schedules.json`. */
  file: string;
  /** What runs do their work through (the daemon's instrumented VolumeManager). */
  service: VolumeService;
  /** What runs forget old backups through (the daemon's store operations). */
  stores: StoreOperations;
  log: Logger;
  clock?: Clock;
  /** [0, 1): picks each run's jitter. */
  random?: () => number;
  /** Called after every run, success or failure (metrics). */
  onRun?: (event: ScheduleRunEvent) => void;
  /** Refuses a backup store whose scheme no installed store package serves (the daemon's registry). */
  checkStore?: (storeUrl: string) => Promise<void>;
  /** Longest single sleep, so that a jump of the wall clock is noticed within it. Default 60 s. */
  maxSleepMs?: number;
}

const STATE_KEY = 'schedules';

/**
 * Runs schedules inside the daemon.
 *
 * - State is one JSON file in the daemon root, replaced atomically on every change; a change
 *   that cannot be saved is not made.
 * - A run is recorded as `running` on disk before it starts. If the daemon dies during it, the
 *   next start records it as failed, and the schedule carries on.
 * - The next due time follows the last timed run's due time, so runs keep their phase. If the
 *   daemon was down across one or more due times, ONE run happens at start, then the schedule
 *   re-anchors at that run: missed runs are never replayed one after another.
 * - Runs of one schedule never overlap: a due time that arrives during a run waits for it, and
 *   `run NAME` during a run is refused (BUSY).
 * - A run that finds its volume gone pauses its schedule with that reason.
 */
export class Scheduler implements ScheduleService {
  private readonly schedules = new Map<string, Schedule>();
  private readonly running = new Map<string, Promise<ScheduleRun>>();
  /** The due time (jitter included) picked for each schedule's next occurrence. */
  private readonly due = new Map<string, { occurrence: number; dueAt: number }>();
  private readonly mutex = new KeyedMutex();
  private readonly clock: Clock;
  private cancelTimer: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Loads the schedules, records runs a dead daemon left `running` as failed, and starts the timer. */
  async start(): Promise<void> {
    const loaded = await loadSchedules(this.opts.file);
    const at = this.iso(this.clock.now());
    for (const schedule of loaded) {
      const broken = problemOf(schedule);
      if (broken && !schedule.paused) {
        // A hand-edited file: the schedule waits, paused and saying why, instead of stopping the daemon.
        this.opts.log.error('a saved schedule is invalid; it is paused', { schedule: schedule.name, error: broken });
        Object.assign(schedule, { paused: true, pausedReason: `invalid in ${this.opts.file}: ${broken}` });
      }
      if (schedule.lastRun?.outcome === 'running') {
        this.opts.log.warn('a scheduled run was interrupted by a daemon stop', { schedule: schedule.name, startedAt: schedule.lastRun.startedAt });
        const error: ScheduleError = { at, code: 'INTERRUPTED', message: `the daemon stopped during the run that started at ${schedule.lastRun.startedAt}` };
        schedule.lastRun = { ...schedule.lastRun, outcome: 'failed', finishedAt: at, error };
        schedule.lastError = error;
        schedule.failures += 1;
      }
      this.schedules.set(schedule.name, schedule);
    }
    if (loaded.length > 0) await saveSchedules(this.opts.file, loaded);
    this.arm();
  }

  /** Stops timing new runs and waits for the running ones to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Resolves when no run is in progress (used by stop, and by tests after advancing the clock). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  async createSchedule(input: ScheduleSpec): Promise<ScheduleView> {
    const spec = validateScheduleSpec(input);
    if (spec.backup) await this.opts.checkStore?.(spec.backup.dest);
    const volume = await this.opts.service.findVolume(spec.volume);
    if (!volume) {
      throw new ConvoyError('NOT_FOUND', `volume ${spec.volume} does not exist; create it before scheduling it`, { details: { volume: spec.volume } });
    }
    if (spec.follow) checkFollowTarget({ ...spec, follow: spec.follow }, volume);
    await this.mutex.run(STATE_KEY, async () => {
      if (this.schedules.has(spec.name)) throw new ConvoyError('ALREADY_EXISTS', `schedule ${spec.name} already exists`, { details: { schedule: spec.name } });
      const at = this.iso(this.clock.now());
      await this.commit(spec.name, { ...spec, createdAt: at, anchorAt: at, paused: false, runs: 0, failures: 0 });
    });
    this.opts.log.info('schedule created', { schedule: spec.name, volume: spec.volume });
    this.arm();
    return this.view(this.schedules.get(spec.name)!);
  }

  async listSchedules(): Promise<ScheduleView[]> {
    return [...this.schedules.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => this.view(s));
  }

  async getSchedule(name: string): Promise<ScheduleView> {
    return this.view(this.require(name));
  }

  async deleteSchedule(name: string): Promise<void> {
    await this.mutex.run(STATE_KEY, async () => {
      this.require(name);
      await this.commit(name, undefined);
    });
    this.due.delete(name);
    this.opts.log.info('schedule deleted', { schedule: name });
    this.arm();
  }

  pauseSchedule(name: string): Promise<ScheduleView> {
    return this.change(name, (s) => ({ ...s, paused: true, pausedReason: 'paused by a user' }));
  }

  resumeSchedule(name: string): Promise<ScheduleView> {
    // Timing restarts now: a resume never fires the runs missed while paused.
    return this.change(name, ({ pausedReason: _, ...s }) => ({ ...s, paused: false, anchorAt: this.iso(this.clock.now()) }));
  }

  /**
   * Pauses every active schedule of a volume that was just deleted, with that reason (the daemon
   * calls it after a delete), instead of letting each fail at its next run.
   */
  async pauseSchedulesOf(volume: string, reason: string): Promise<void> {
    const affected = [...this.schedules.values()].filter((s) => s.volume === volume && !s.paused).map((s) => s.name);
    for (const name of affected) {
      await this.change(name, (s) => ({ ...s, paused: true, pausedReason: reason })).catch((err: unknown) =>
        this.opts.log.error('could not pause the schedule of a deleted volume', { schedule: name, volume, err }),
      );
    }
  }

  async runSchedule(name: string): Promise<ScheduleRun> {
    return this.startRun(this.require(name), 'manual');
  }

  // ---- timing --------------------------------------------------------------------------

  /** Sleeps until the earliest due schedule (at most maxSleepMs), then starts what is due. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.stopped) return;
    let earliest: number | undefined;
    for (const schedule of this.schedules.values()) {
      if (this.running.has(schedule.name)) continue;
      const dueAt = this.nextDue(schedule)?.dueAt;
      if (dueAt !== undefined && (earliest === undefined || dueAt < earliest)) earliest = dueAt;
    }
    if (earliest === undefined) return;
    const delay = Math.min(Math.max(earliest - this.clock.now(), 0), this.opts.maxSleepMs ?? 60_000);
    this.cancelTimer = this.clock.setTimer(() => this.tick(), delay);
  }

  /** Runs from a timer: nothing may escape it, or the daemon would die with it. */
  private tick(): void {
    this.cancelTimer = undefined;
    try {
      const now = this.clock.now();
      for (const schedule of this.schedules.values()) {
        const next = this.nextDue(schedule);
        if (next && next.dueAt <= now && !this.running.has(schedule.name)) {
          this.startRun(schedule, 'timer', next.occurrence).catch((err: unknown) =>
            this.opts.log.error('a scheduled run could not start', { schedule: schedule.name, err }),
          );
        }
      }
      this.arm();
    } catch (err) {
      this.opts.log.error('the scheduler failed to plan its next runs; retrying in a minute', { err });
      this.cancelTimer = this.clock.setTimer(() => this.tick(), this.opts.maxSleepMs ?? 60_000);
    }
  }

  /** The next occurrence after the last timed run (or the anchor), and its jittered due time. */
  private nextDue(schedule: Schedule): { occurrence: number; dueAt: number } | undefined {
    if (schedule.paused) return undefined;
    const anchor = Math.max(Date.parse(schedule.anchorAt), schedule.lastOccurrenceAt ? Date.parse(schedule.lastOccurrenceAt) : 0);
    const occurrence = nextOccurrence(schedule, anchor);
    if (occurrence === undefined) return undefined;
    const known = this.due.get(schedule.name);
    if (known?.occurrence === occurrence) return known;
    const picked = { occurrence, dueAt: occurrence + Math.floor((this.opts.random ?? Math.random)() * jitterMs(schedule)) };
    this.due.set(schedule.name, picked);
    return picked;
  }

  // ---- runs ----------------------------------------------------------------------------

  private startRun(schedule: Schedule, trigger: ScheduleRun['trigger'], occurrence?: number): Promise<ScheduleRun> {
    const name = schedule.name;
    if (this.running.has(name)) {
      return Promise.reject(
        new ConvoyError('BUSY', `schedule ${name} is running now (since ${schedule.lastRun?.startedAt ?? 'just now'}); runs of one schedule never overlap`),
      );
    }
    if (this.stopped) return Promise.reject(new ConvoyError('BUSY', 'the scheduler is stopping'));
    const startedMs = this.clock.now();
    const run: ScheduleRun = { startedAt: this.iso(startedMs), outcome: 'running', trigger };
    const promise = this.recordStart(name, run, startedMs, occurrence)
      .then(() => this.execute(schedule, run, startedMs))
      .finally(() => {
        this.running.delete(name);
        this.arm();
      });
    this.running.set(name, promise);
    return promise;
  }

  private recordStart(name: string, run: ScheduleRun, startedMs: number, occurrence: number | undefined): Promise<void> {
    return this.mutex.run(STATE_KEY, async () => {
      const current = this.require(name);
      const next: Schedule = { ...current, lastRun: run, runs: current.runs + 1 };
      if (occurrence !== undefined) next.lastOccurrenceAt = this.iso(this.occurrenceToKeep(current, occurrence, startedMs));
      await this.commit(name, next);
    });
  }

  /** The due time this run stands for, or now when it stood for several missed ones (no replays). */
  private occurrenceToKeep(schedule: Schedule, occurrence: number, now: number): number {
    const following = nextOccurrence(schedule, occurrence);
    return following !== undefined && following <= now ? now : occurrence;
  }

  private async execute(spec: Schedule, run: ScheduleRun, startedMs: number): Promise<ScheduleRun> {
    let volumeGone = false;
    try {
      const { follow } = spec;
      Object.assign(
        run,
        await (follow
          ? followStandby(this.opts.service, this.opts.stores, { ...spec, follow })
          : runSchedule(this.opts.service, this.opts.stores, spec, startedMs)),
        { outcome: 'succeeded' },
      );
      this.opts.log.info('scheduled run succeeded', {
        schedule: spec.name,
        volume: spec.volume,
        snapshot: run.snapshot,
        backup: run.backupUrl,
        removed: run.removed,
      });
    } catch (err) {
      const error = toConvoyError(err);
      volumeGone = err instanceof VolumeGoneError;
      run.outcome = 'failed';
      run.error = { at: this.iso(this.clock.now()), code: error.code, message: error.message };
      this.opts.log.error('scheduled run failed', { schedule: spec.name, volume: spec.volume, code: error.code, error: error.message });
    }
    run.finishedAt = this.iso(this.clock.now());
    await this.mutex
      .run(STATE_KEY, async () => {
        const current = this.schedules.get(spec.name);
        if (!current) return; // deleted during the run
        const next: Schedule = { ...current, lastRun: run };
        if (run.outcome === 'succeeded') next.lastSuccessAt = run.finishedAt;
        else {
          next.lastError = run.error!;
          next.failures = current.failures + 1;
        }
        if (volumeGone)
          Object.assign(next, { paused: true, pausedReason: `volume ${spec.volume} no longer exists (${run.finishedAt}); resume after re-creating it` });
        await this.commit(spec.name, next);
      })
      .catch((err: unknown) => this.opts.log.error('could not record a scheduled run', { schedule: spec.name, err }));
    this.opts.onRun?.({ schedule: spec.name, volume: spec.volume, run, durationMs: this.clock.now() - startedMs });
    return run;
  }

  // ---- state ---------------------------------------------------------------------------

  private async change(name: string, fn: (s: Schedule) => Schedule): Promise<ScheduleView> {
    await this.mutex.run(STATE_KEY, () => this.commit(name, fn(this.require(name))));
    this.arm();
    return this.view(this.require(name));
  }

  /**
   * Saves the list with `next` in place of `name` (undefined removes it), then adopts it in
   * memory. An active schedule is checked in full first (its spec, its times, its next due
   * time): nothing the scheduler could not run, list or export is ever written.
   */
  private async commit(name: string, next: Schedule | undefined): Promise<void> {
    const broken = next && !next.paused ? problemOf(next) : undefined;
    if (broken) throw new ConvoyError('INVALID_ARGUMENT', `schedule ${name} was not saved: ${broken}`, { details: { schedule: name } });
    const list = [...this.schedules.values()].filter((s) => s.name !== name);
    if (next) list.push(next);
    await saveSchedules(this.opts.file, list);
    if (next) this.schedules.set(name, next);
    else this.schedules.delete(name);
  }

  private require(name: string): Schedule {
    validateName(name, 'schedule');
    const schedule = this.schedules.get(name);
    if (!schedule) throw new ConvoyError('NOT_FOUND', `schedule ${name} does not exist`, { details: { schedule: name } });
    return schedule;
  }

  private view(schedule: Schedule): ScheduleView {
    const next = this.nextDue(schedule);
    return { ...schedule, nextRunAt: next ? this.iso(next.dueAt) : null, running: this.running.has(schedule.name) };
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }
}

/** What is wrong with a schedule read back from disk, or undefined when it is sound. */
function problemOf(schedule: Schedule): string | undefined {
  try {
    const { name, volume, every, cron, timezone, backup, keep, jitter, consistent } = schedule;
    validateScheduleSpec({ name, volume, every, cron, timezone, backup, keep, jitter, consistent });
    for (const field of ['createdAt', 'anchorAt', 'lastOccurrenceAt', 'lastSuccessAt'] as const) {
      const value = schedule[field];
      if (value !== undefined && Number.isNaN(Date.parse(value))) return `${field} ${JSON.stringify(value)} is not a time`;
    }
    const anchor = Math.max(Date.parse(schedule.anchorAt), schedule.lastOccurrenceAt ? Date.parse(schedule.lastOccurrenceAt) : 0);
    const next = nextOccurrence(schedule, anchor);
    // The next due time must be a time there is, jitter included (an ISO string, a timer).
    if (next !== undefined && Number.isNaN(new Date(next + jitterMs(schedule)).getTime()))
      return `its next run (${every ?? cron} after ${schedule.anchorAt}) is beyond any date`;
    return undefined;
  } catch (err) {
    return toConvoyError(err).message;
  }
}
