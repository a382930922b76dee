/** `convoy schedule pause <name>`: no runs until `resume`. */
import { oneScheduleCommand } from './one-schedule-command.js';

export const pause = oneScheduleCommand('pause', 'Stop running a schedule until it is resumed', 'pauseSchedule', (v) => `${v.name}: paused`);
