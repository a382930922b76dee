/** `convoy schedule resume <name>`: its timing restarts now. */
import { oneScheduleCommand } from './one-schedule-command.js';

export const resume = oneScheduleCommand(
  'resume',
  'Resume a paused schedule; its timing restarts now',
  'resumeSchedule',
  (v) => `${v.name}: next run ${v.nextRunAt ?? 'never'}`,
);
