import path from 'node:path';
import { ConvoyError } from '../errors.js';
import { readJsonFile, writeJsonAtomic } from '../state/atomic-file.js';
import type { Schedule } from './types.js';

export const SCHEDULES_FILE = 'schedules.json';
const VERSION = 1;

interface ScheduleFile {
  version: number;
  schedules: Schedule[];
}

export const schedulesFile = (root: string): string => path.join(root, SCHEDULES_FILE);

/** Every schedule, from the daemon root; none when the file does not exist yet. */
export async function loadSchedules(file: string): Promise<Schedule[]> {
  const data = await readJsonFile<ScheduleFile>(file);
  if (data === undefined) return [];
  if (data.version !== VERSION || !Array.isArray(data.schedules) || data.schedules.some((s) => typeof s?.name !== 'string' || typeof s.volume !== 'string')) {
    throw new ConvoyError('STATE_ERROR', `${file} is not a version-${VERSION} schedule file; move it aside to start without schedules`);
  }
  return data.schedules;
}

/** Replaces the file atomically (temp, fsync, rename, fsync dir): a crash leaves the old or the new list. */
export async function saveSchedules(file: string, schedules: readonly Schedule[]): Promise<void> {
  const data: ScheduleFile = { version: VERSION, schedules: [...schedules].sort((a, b) => a.name.localeCompare(b.name)) };
  await writeJsonAtomic(file, data);
}
