// The daemon's volume service: the VolumeManager (names, routing, per-volume locks), the store
// operations, opening stores, and the scheduler with its specs, file and pause-on-delete rule.
// Built on @convoy/core's contracts and @convoy/backup-store's engine.

export { DEFAULT_STOP_GRACE_MS } from './manager/drain-or-cancel.js';
export { STANDBY_DIR } from './manager/standby-records.js';
export { checkStoreOptions } from './manager/store-options.js';
export * from './manager/types.js';
export * from './manager/volume-manager.js';
export { type Clock, systemClock } from './schedule/clock.js';
export { pausingSchedulesOnDelete, type SchedulePauser } from './schedule/pause-on-delete.js';
export { SCHEDULES_FILE, schedulesFile } from './schedule/schedule-file.js';
export { Scheduler, type SchedulerOptions } from './schedule/scheduler.js';
export { validateScheduleSpec } from './schedule/spec.js';
export * from './schedule/types.js';
