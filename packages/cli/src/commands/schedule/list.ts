/** `convoy schedule list`: every schedule with its last and next run. */
import { renderScheduleList } from '../../render-schedules.js';
import type { CommandModule } from '../command-module.js';

export const list: CommandModule = {
  command: 'list',
  describe: 'List schedules with their last run, last success, last error and next run',
  async handler(_args, { client, out }) {
    const { schedules } = await client.call('listSchedules', undefined);
    out.result({ go: schedules, table: () => renderScheduleList(schedules) });
  },
};
