import { ConvoyError, type ScheduleService, type ScheduleSpec } from '@convoy/core';
import type { Body } from './api-routes.js';
import { closedObject, endpoint, text } from './api-schemas.js';
import { retentionPolicySchema } from './retention-routes.js';

export const scheduleCreateBody = closedObject(
  {
    name: text,
    volume: text,
    every: text,
    cron: text,
    timezone: text,
    jitter: text,
    backup: closedObject({ dest: text, compression: { type: 'string', enum: ['lz4', 'gzip', 'none'] }, endpoint }, ['dest']),
    keep: retentionPolicySchema,
  },
  ['name', 'volume'],
);
export const scheduleNameBody = closedObject({ name: text }, ['name']);

export interface ScheduleRoute {
  method: 'GET' | 'POST';
  path: string;
  body?: object;
  run(schedules: ScheduleService, body: Body): Promise<unknown>;
}

const answerEmpty = async (operation: Promise<void>) => {
  await operation;
  return {};
};

/** `convoy schedule ...`: the daemon's scheduler, RPC style like the rest of `/v1`. */
export const SCHEDULE_ROUTES: ScheduleRoute[] = [
  { method: 'POST', path: '/schedules/create', body: scheduleCreateBody, run: (s, b) => s.createSchedule(b as unknown as ScheduleSpec) },
  { method: 'GET', path: '/schedules/list', run: async (s) => ({ schedules: await s.listSchedules() }) },
  { method: 'POST', path: '/schedules/inspect', body: scheduleNameBody, run: (s, b) => s.getSchedule(String(b.name)) },
  { method: 'POST', path: '/schedules/delete', body: scheduleNameBody, run: (s, b) => answerEmpty(s.deleteSchedule(String(b.name))) },
  { method: 'POST', path: '/schedules/pause', body: scheduleNameBody, run: (s, b) => s.pauseSchedule(String(b.name)) },
  { method: 'POST', path: '/schedules/resume', body: scheduleNameBody, run: (s, b) => s.resumeSchedule(String(b.name)) },
  { method: 'POST', path: '/schedules/run', body: scheduleNameBody, run: (s, b) => s.runSchedule(String(b.name)) },
];

/** What a server without a scheduler answers (an embedding that did not start one). */
export const noScheduler: ScheduleService = new Proxy({} as ScheduleService, {
  get: () => () => Promise.reject(new ConvoyError('NOT_SUPPORTED', 'this Convoy server runs no scheduler')),
});
