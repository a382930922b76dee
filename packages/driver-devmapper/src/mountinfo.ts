import { readFile } from 'node:fs/promises';

export interface MountEntry {
  /** `major:minor` of the mounted device. */
  device: string;
  mountPoint: string;
  fsType: string;
}

/** Mount points are octal-escaped in mountinfo (`\040` for a space). */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo lines: `id parent maj:min root mountpoint opts [optional...] - fstype source superopts`. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 7 || separator < 0) continue;
    entries.push({ device: fields[2] as string, mountPoint: unescapeMountPath(fields[4] as string), fsType: fields[separator + 1] ?? '' });
  }
  return entries;
}

/** Every mount in this process's mount namespace. */
export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Where the device `major:minor` is mounted (exact matches, no substring tricks). */
export async function mountPointsOf(device: string): Promise<string[]> {
  return (await readMounts()).filter((entry) => entry.device === device).map((entry) => entry.mountPoint);
}
