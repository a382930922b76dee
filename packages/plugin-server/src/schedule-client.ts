import type { ScheduleRun, ScheduleService, ScheduleSpec, ScheduleView } from '@convoy/core';
import type { ConvoyClient } from './client.js';

/** The daemon's scheduler seen from the CLI, over the same socket as ConvoyClient. */
export class ScheduleClient implements ScheduleService {
  constructor(private readonly client: ConvoyClient) {}

  createSchedule(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.client.call('POST', '/schedules/create', spec);
  }
  async listSchedules(): Promise<ScheduleView[]> {
    return (await this.client.call<{ schedules: ScheduleView[] }>('GET', '/schedules/list')).schedules;
  }
  getSchedule(name: string): Promise<ScheduleView> {
    return this.client.call('POST', '/schedules/inspect', { name });
  }
  async deleteSchedule(name: string): Promise<void> {
    await this.client.call('POST', '/schedules/delete', { name });
  }
  pauseSchedule(name: string): Promise<ScheduleView> {
    return this.client.call('POST', '/schedules/pause', { name });
  }
  resumeSchedule(name: string): Promise<ScheduleView> {
    return this.client.call('POST', '/schedules/resume', { name });
  }
  runSchedule(name: string): Promise<ScheduleRun> {
    return this.client.call('POST', '/schedules/run', { name });
  }
}
