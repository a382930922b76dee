/** `convoy schedule inspect <name>`: settings, state and last run. */
import { renderRecord } from '../../render.js';
import { oneScheduleCommand } from './one-schedule-command.js';

export const inspect = oneScheduleCommand('inspect', 'Show a schedule in full: its settings, its state and its last run', 'inspectSchedule', (v) =>
  renderRecord(v),
);
