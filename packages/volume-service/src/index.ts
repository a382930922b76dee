// The daemon's volume service: the VolumeManager (names, routing, per-volume locks), the store
// operations, opening stores, and the scheduler with its specs, file and pause-on-delete rule.
// Built on @convoy/core's contracts and @convoy/backup-store's engine.
export * from './manager/types.js';
export * from './manager/volume-manager.js';
export { checkStoreOptions } from './manager/store-options.js';
export { STANDBY_DIR } from './manager/standby-records.js';
export { DEFAULT_STOP_GRACE_MS } from './manager/drain-or-cancel.js';
export * from './schedule/types.js';
export { Scheduler, type SchedulerOptions } from './schedule/scheduler.js';
export { pausingSchedulesOnDelete, type SchedulePauser } from './schedule/pause-on-delete.js';
export { systemClock, type Clock } from './schedule/clock.js';
export { validateScheduleSpec } from './schedule/spec.js';
export { schedulesFile, SCHEDULES_FILE } from './schedule/schedule-file.js';
