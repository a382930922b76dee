/** `convoy schedule delete <name>`: the schedule goes; what it made stays. */
import { oneScheduleCommand } from './one-schedule-command.js';

export const deleteSchedule = oneScheduleCommand('delete', 'Delete a schedule (its snapshots and backups stay)', 'deleteSchedule', () => '');
