import type { RetentionPolicy } from '@convoy/backup-store';
import type { CompressionMethod, ConsistencyReport, StoreLayout } from '@convoy/core';

/** What a user asks for: `convoy schedule create NAME --volume V (--every 1h | --cron "0 3 * * *") ...`. */
export interface ScheduleSpec {
  /** Schedule names follow the volume name rules (at most 100 characters: snapshot names add a time). */
  name: string;
  volume: string;
  /** A fixed interval (`90s`, `1h`, `1d`); exactly one of `every` and `cron`. */
  every?: string;
  /** A crontab expression (5 fields, or 6 with seconds first), evaluated in `timezone`. */
  cron?: string;
  /** IANA zone of `cron` (default UTC, so a schedule means the same on every host). */
  timezone?: string;
  /** Back each run's snapshot up to this store; `keep`, when given, is this store's own retention (else `keep` below). */
  backup?: { dest: string; compression?: CompressionMethod; endpoint?: string; layout?: StoreLayout; keep?: RetentionPolicy };
  /** More stores (`--backup` repeated): each run's backup is copied to each, which keeps by its own policy (backup-copies.ts). */
  copies?: ScheduleCopy[];
  /**
   * Applied after each successful run to the snapshots THIS schedule made (never hand-made ones)
   * and, with `backup`, to all of the volume's backups in that store.
   */
  keep?: RetentionPolicy;
  /** Each run starts up to this long after its time (random), so many hosts do not hit one store at once. */
  jitter?: string;
  /** Each run's snapshot is taken with the hooks of the containers mounting the volume (snapshot create --consistent). */
  consistent?: boolean;
  /** `--standby VOL --follow STORE`: each run syncs standby `volume` to its source's newest backup in the store (follow-standby.ts). */
  follow?: { store: string; endpoint?: string };
}

/** A further store of a schedule: gets each run's backup by `backup copy`; `keep` is its own retention (default: the schedule's). */
export interface ScheduleCopy {
  dest: string;
  endpoint?: string;
  keep?: RetentionPolicy;
}

/** What schedules.json keeps of a consistent snapshot's report (the hooks' output stays in the log). */
export interface RunConsistency {
  mode: ConsistencyReport['mode'];
  containers: string[];
  notes: string[];
}

export interface ScheduleError {
  at: string;
  code: string;
  message: string;
}

export interface RemovedByRun {
  snapshots: string[];
  /** Backup names (`backup-<16 hex>`) in the schedule's store. */
  backups: string[];
  /** Backup names removed from each further store (`copies`), by store URL. */
  copies?: Record<string, string[]>;
}

export interface ScheduleRun {
  startedAt: string;
  finishedAt?: string;
  outcome: 'running' | 'succeeded' | 'failed';
  /** `run NAME` (manual) or the time it was due (timed). */
  trigger: 'manual' | 'timer';
  snapshot?: string;
  backupUrl?: string;
  /** The further stores the run's backup was copied to. */
  copiedTo?: string[];
  removedSnapshots?: number;
  removedBackups?: number;
  /** What the run's retention removed, by name (the counts above stay for older readers). */
  removed?: RemovedByRun;
  /** A consistent schedule's run: what its snapshot became, whose hooks ran, and any note. */
  consistency?: RunConsistency;
  /** A follow schedule's run: the backups the standby went from and to, and how. */
  standbySync?: { from: string; to: string; method: string; bytesWritten: number };
  error?: ScheduleError;
}

/** A schedule as persisted in `<root>/schedules.json`. */
export interface Schedule extends ScheduleSpec {
  createdAt: string;
  paused: boolean;
  /** Why it is paused: by a user, or because its volume is gone. */
  pausedReason?: string;
  /** Timing restarts here: at creation and at each resume. */
  anchorAt: string;
  /** The last due time a timed run was started for (the next one follows it). */
  lastOccurrenceAt?: string;
  lastRun?: ScheduleRun;
  lastSuccessAt?: string;
  lastError?: ScheduleError;
  runs: number;
  failures: number;
}

/** A schedule as `schedule list` and `inspect` show it. */
export interface ScheduleView extends Schedule {
  /** When it runs next (jitter included); null while paused. */
  nextRunAt: string | null;
  running: boolean;
}

/** What the daemon offers about schedules; the Scheduler implements it, the client speaks it. */
export interface ScheduleService {
  createSchedule(spec: ScheduleSpec): Promise<ScheduleView>;
  listSchedules(): Promise<ScheduleView[]>;
  getSchedule(name: string): Promise<ScheduleView>;
  deleteSchedule(name: string): Promise<void>;
  pauseSchedule(name: string): Promise<ScheduleView>;
  resumeSchedule(name: string): Promise<ScheduleView>;
  /** Runs now and answers when the run is over (its record, success or failure). */
  runSchedule(name: string): Promise<ScheduleRun>;
}

/** Reported after every run, for metrics. */
export interface ScheduleRunEvent {
  schedule: string;
  volume: string;
  run: ScheduleRun;
  durationMs: number;
}
