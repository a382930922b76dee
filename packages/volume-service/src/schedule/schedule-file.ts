import path from 'node:path';
import { ConvoyError, isConvoyError, readJsonFile, writeJsonAtomic } from '@convoy/core';
import type { Schedule } from './types.js';

export const SCHEDULES_FILE = 'schedules.json';
const VERSION = 1;

interface ScheduleFile {
  version: number;
  schedules: Schedule[];
}

export const schedulesFile = (root: string): string => path.join(root, SCHEDULES_FILE);

/**
 * Every schedule, from the daemon root; none when the file does not exist yet. A file that is
 * not one (empty, cut short, not JSON, `null`, another version, a schedule without its
 * bookkeeping) stops the start with one error that says what is wrong and to move it aside.
 * A schedule whose fields merely fail today's rules is the scheduler's to pause, not this.
 */
export async function loadSchedules(file: string): Promise<Schedule[]> {
  let data: unknown;
  try {
    data = await readJsonFile<unknown>(file);
  } catch (err) {
    if (isConvoyError(err, 'STATE_ERROR')) throw unreadable(file, `not JSON: ${err.cause instanceof Error ? err.cause.message : err.message}`, err);
    throw err;
  }
  if (data === undefined) return [];
  const problem = fileProblem(data);
  if (problem) throw unreadable(file, problem);
  return (data as ScheduleFile).schedules;
}

function unreadable(file: string, problem: string, cause?: unknown): ConvoyError {
  return new ConvoyError('STATE_ERROR', `${file} is not a version-${VERSION} schedule file (${problem}); move it aside to start without schedules`, { cause });
}

/** What makes `data` not a schedule file, or undefined. */
function fileProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return `it holds ${data === null ? 'null' : Array.isArray(data) ? 'a list' : typeof data}, not an object`;
  const { version, schedules } = data as Record<string, unknown>;
  if (version !== VERSION) return `its version is ${JSON.stringify(version)}`;
  if (!Array.isArray(schedules)) return 'it has no list of schedules';
  for (const [index, schedule] of schedules.entries()) {
    const problem = recordProblem(schedule);
    if (problem) return `schedule #${index + 1} ${problem}`;
  }
  return undefined;
}

const RECORD_FIELDS: Array<[keyof Schedule, string]> = [
  ['name', 'string'],
  ['volume', 'string'],
  ['createdAt', 'string'],
  ['anchorAt', 'string'],
  ['paused', 'boolean'],
  ['runs', 'number'],
  ['failures', 'number'],
];

function recordProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule)) return 'is not an object';
  for (const [field, type] of RECORD_FIELDS) {
    const value = (schedule as Record<string, unknown>)[field];
    if (typeof value !== type) return `has ${field} ${JSON.stringify(value) ?? 'missing'}, not a ${type}`;
  }
  return undefined;
}

/** Replaces the file atomically (temp, fsync, rename, fsync dir): a crash leaves the old or the new list. */
export async function saveSchedules(file: string, schedules: readonly Schedule[]): Promise<void> {
  const data: ScheduleFile = { version: VERSION, schedules: [...schedules].sort((a, b) => a.name.localeCompare(b.name)) };
  await writeJsonAtomic(file, data);
}
