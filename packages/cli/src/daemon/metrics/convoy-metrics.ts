import type { ContainerHookReport } from '@convoy/core';
import type { ScheduleRunEvent, ScheduleService, VolumeService } from '@convoy/volume-service';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the daemon exports (names in the README), and the hooks that feed them. Nothing
 * here sits inside the engine: operations are timed around the VolumeService, byte counts come
 * from the progress the engine already reports and from the summaries it returns, requests and
 * retries from each store's own counters, pool usage and schedule state are read at scrape time.
 */
export class ConvoyMetrics {
  readonly registry = new Registry();

  readonly operations = new Counter({
    name: 'convoy_operations_total',
    help: 'Operations that changed something, by kind and outcome (success or the error code).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly durations = new Histogram({
    name: 'convoy_operation_duration_seconds',
    help: 'How long operations took, by kind.',
    labelNames: ['operation'] as const,
    buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 1800, 3600, 14400],
    registers: [this.registry],
  });
  readonly bytesRead = new Counter({
    name: 'convoy_backup_read_bytes_total',
    help: 'Bytes of snapshots read by successful backups.',
    registers: [this.registry],
  });
  readonly bytesUploaded = new Counter({
    name: 'convoy_backup_uploaded_bytes_total',
    help: 'Compressed bytes successful backups uploaded (new blocks or archives).',
    registers: [this.registry],
  });
  readonly blocksUploaded = new Counter({
    name: 'convoy_backup_blocks_uploaded_total',
    help: 'Blocks backups uploaded because the store lacked them.',
    registers: [this.registry],
  });
  readonly blocksDeduplicated = new Counter({
    name: 'convoy_backup_blocks_deduplicated_total',
    help: 'Changed blocks successful backups read but did not upload, because the store already held them.',
    registers: [this.registry],
  });
  readonly lastBackup = new Gauge({
    name: 'convoy_backup_last_success_timestamp_seconds',
    help: 'Unix time of the last successful backup of each volume (seeded at start from the schedules).',
    labelNames: ['volume'] as const,
    registers: [this.registry],
  });
  readonly storeRequests = new Counter({
    name: 'convoy_store_requests_total',
    help: 'Requests made to backup stores, by store scheme and kind (get, put, head, list, delete, parts).',
    labelNames: ['scheme', 'kind'] as const,
    registers: [this.registry],
  });
  readonly storeRetries = new Counter({
    name: 'convoy_store_retries_total',
    help: 'Store requests retried after throttling, 5xx, resets or timeouts.',
    labelNames: ['scheme'] as const,
    registers: [this.registry],
  });
  readonly scheduleRuns = new Counter({
    name: 'convoy_schedule_runs_total',
    help: 'Scheduled runs since the daemon started, by schedule and outcome (succeeded, failed).',
    labelNames: ['schedule', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly consistentSnapshots = new Counter({
    name: 'convoy_consistent_snapshots_total',
    help: 'Snapshots asked to be consistent, by what they became (application-consistent, crash-consistent, refused: a pre-hook failed under on-error=fail).',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });
  readonly snapshotHooks = new Counter({
    name: 'convoy_snapshot_hooks_total',
    help: 'Container hooks run around consistent snapshots, by phase (pre, post) and outcome (ok, failed, timed-out, error).',
    labelNames: ['phase', 'outcome'] as const,
    registers: [this.registry],
  });

  /** A consistent snapshot's report, from its answer or from the error that refused it. */
  readonly consistentSnapshot = (mode: string, containers: readonly ContainerHookReport[]): void => {
    this.consistentSnapshots.inc({ mode });
    for (const container of containers) {
      if (container.pre) this.snapshotHooks.inc({ phase: 'pre', outcome: container.pre.outcome });
      if (container.post) this.snapshotHooks.inc({ phase: 'post', outcome: container.post.outcome });
    }
  };

  /** Scheduled runs as they end (the scheduler's onRun). */
  readonly scheduleRun = (event: ScheduleRunEvent): void => {
    this.scheduleRuns.inc({ schedule: event.schedule, outcome: event.run.outcome });
  };

  /**
   * Gauges read at scrape time: each schedule's state (persisted, so they survive restarts) and
   * the pool usage any driver reports in `info()` as DataUsedBytes/DataTotalBytes/
   * MetadataUsedBytes/MetadataTotalBytes (devicemapper does).
   */
  watch(sources: { schedules: ScheduleService; service: Pick<VolumeService, 'info'> }): void {
    const scheduleGauge = (name: string, help: string, value: (s: Awaited<ReturnType<ScheduleService['listSchedules']>>[number]) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['schedule', 'volume'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const s of await sources.schedules.listSchedules()) {
            const v = value(s);
            if (v !== undefined) this.set({ schedule: s.name, volume: s.volume }, v);
          }
        },
      });
    scheduleGauge('convoy_schedule_failures', 'Failed runs of each schedule since it was created (persisted).', (s) => s.failures);
    scheduleGauge('convoy_schedule_last_run_failed', '1 when the last run of the schedule failed, else 0.', (s) =>
      s.lastRun ? Number(s.lastRun.outcome === 'failed') : 0,
    );
    scheduleGauge('convoy_schedule_last_success_timestamp_seconds', 'Unix time of the last successful run of each schedule.', (s) => seconds(s.lastSuccessAt));
    scheduleGauge('convoy_schedule_paused', '1 when the schedule is paused (by a user, or because its volume is gone).', (s) => Number(s.paused));
    new Gauge({
      name: 'convoy_pool_bytes',
      help: 'Thin-pool usage reported by drivers, by driver, space (data, metadata) and state (used, total).',
      labelNames: ['driver', 'space', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const info = await sources.service.info();
        for (const [driver, facts] of Object.entries(info.driverInfo)) {
          for (const space of ['Data', 'Metadata'] as const) {
            for (const state of ['Used', 'Total'] as const) {
              const value = facts[`${space}${state}Bytes`];
              if (typeof value === 'number') this.set({ driver, space: space.toLowerCase(), state: state.toLowerCase() }, value);
            }
          }
        }
      },
    });
  }

  /** The per-volume backup gauge starts from what the schedules remember, so a restart does not blank it. */
  async seedFromSchedules(schedules: ScheduleService): Promise<void> {
    const latest = new Map<string, number>();
    for (const s of await schedules.listSchedules()) {
      const at = seconds(s.lastSuccessAt);
      if (s.backup && at !== undefined) latest.set(s.volume, Math.max(at, latest.get(s.volume) ?? 0));
    }
    for (const [volume, at] of latest) this.lastBackup.set({ volume }, at);
  }
}

function seconds(iso: string | undefined): number | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}
