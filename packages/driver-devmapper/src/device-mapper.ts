import { access } from 'node:fs/promises';
import { type CommandRunner, ConvoyError, isConvoyError } from '@convoy/core';

export interface DmDevice {
  name: string;
  major: number;
  minor: number;
  suspended: boolean;
  readOnly: boolean;
  openCount: number;
}

export interface DmTableLine {
  start: number;
  length: number;
  target: string;
  args: string[];
}

/**
 * Every active dm device and its live table, listed once (two dmsetup runs) and shared by the
 * steps of a driver start that would each have listed them again: each run is a process fork,
 * about a second in a slow guest.
 */
export interface LiveDevices {
  devices: Map<string, DmDevice>;
  tables: Map<string, DmTableLine[]>;
}

/** The kernel's answer to a failed `dmsetup message`, as its errno text in stderr. */
export type MessageFailure = 'exists' | 'missing' | 'busy' | 'other';

function stderrOf(err: unknown): string {
  return isConvoyError(err) ? String(err.details?.stderr ?? '') : '';
}

/** dmsetup's words for "no device of that name" (ENXIO from the ioctl, or its own check). */
function isMissingDevice(err: unknown): boolean {
  return /No such device or address|Device does not exist/.test(stderrOf(err));
}

export function messageFailure(err: unknown): MessageFailure {
  const stderr = stderrOf(err);
  if (stderr.includes('File exists')) return 'exists';
  if (stderr.includes('No data available')) return 'missing';
  if (stderr.includes('Device or resource busy')) return 'busy';
  return 'other';
}

/**
 * `dmsetup` through the core command runner. Device nodes are never assumed to come from udev:
 * after activation the node is checked and made with `dmsetup mknodes` when missing.
 */
export class DeviceMapper {
  constructor(private readonly run: CommandRunner) {}

  nodePath(name: string): string {
    return `/dev/mapper/${name}`;
  }

  /** Activates `name` with a one-line table and returns its device node. */
  async create(name: string, table: string, opts: { readOnly?: boolean } = {}): Promise<string> {
    await this.run('dmsetup', ['create', name, ...(opts.readOnly ? ['--readonly'] : []), '--table', table]);
    return this.ensureNode(name);
  }

  async ensureNode(name: string): Promise<string> {
    const node = this.nodePath(name);
    try {
      await access(node);
    } catch {
      await this.run('dmsetup', ['mknodes', name]);
    }
    return node;
  }

  /**
   * Removes a device that is not in use; false when there was none. `--retry` rides out a
   * transient open by udev or blkid.
   */
  async removeIfPresent(name: string): Promise<boolean> {
    try {
      await this.run('dmsetup', ['remove', '--retry', name]);
      return true;
    } catch (err) {
      if (isMissingDevice(err)) return false;
      if (stderrOf(err).includes('Device or resource busy')) {
        throw new ConvoyError('BUSY', `device ${name} is still open (mounted or in use by another program)`, { cause: err });
      }
      throw err;
    }
  }

  /** The live table of one device, or undefined when no device has that name. */
  async table(name: string): Promise<DmTableLine[] | undefined> {
    try {
      return parseTableLines((await this.run('dmsetup', ['table', name])).stdout);
    } catch (err) {
      if (isMissingDevice(err)) return undefined;
      throw err;
    }
  }

  async message(pool: string, text: string): Promise<void> {
    await this.run('dmsetup', ['message', pool, '0', text]);
  }

  /**
   * Suspends I/O, freezing a mounted filesystem first (dm's default lockfs); false when no
   * device has that name.
   */
  async suspendIfPresent(name: string): Promise<boolean> {
    try {
      await this.run('dmsetup', ['suspend', name]);
      return true;
    } catch (err) {
      if (isMissingDevice(err)) return false;
      throw err;
    }
  }

  async resume(name: string): Promise<void> {
    await this.run('dmsetup', ['resume', name]);
  }

  /** Loads a new table and makes it live (suspend + swap + resume). */
  async replaceTable(name: string, table: string): Promise<void> {
    await this.run('dmsetup', ['reload', name, '--table', table]);
    await this.resume(name);
  }

  async status(name: string): Promise<string> {
    return (await this.run('dmsetup', ['status', name])).stdout.trim();
  }

  /** Every active dm device on the host, by name. */
  async devices(): Promise<Map<string, DmDevice>> {
    const { stdout } = await this.run('dmsetup', ['info', '-c', '--noheadings', '--separator', ' ', '-o', 'name,major,minor,attr,open']);
    const devices = new Map<string, DmDevice>();
    for (const line of stdout.split('\n')) {
      const fields = line.trim().split(' ');
      if (fields.length < 5 || line.startsWith('No devices found')) continue;
      const [major, minor, attr, open] = fields.slice(-4) as [string, string, string, string];
      const name = fields.slice(0, -4).join(' ');
      devices.set(name, { name, major: Number(major), minor: Number(minor), suspended: attr[2] === 's', readOnly: attr[3] === 'r', openCount: Number(open) });
    }
    return devices;
  }

  /** `devices()` and `tables()` together: valid until a device is created, reloaded or removed. */
  async live(): Promise<LiveDevices> {
    return { devices: await this.devices(), tables: await this.tables() };
  }

  /** Every active device's live table, by name (multi-segment tables keep all their lines). */
  async tables(): Promise<Map<string, DmTableLine[]>> {
    const { stdout } = await this.run('dmsetup', ['table']);
    const tables = new Map<string, DmTableLine[]>();
    for (const line of stdout.split('\n')) {
      const colon = line.indexOf(': ');
      if (colon < 0) continue;
      const name = line.slice(0, colon);
      tables.set(name, [...(tables.get(name) ?? []), ...parseTableLines(line.slice(colon + 2))]);
    }
    return tables;
  }
}

/** `<start> <length> <target> <args...>` lines, as `dmsetup table` prints them. */
function parseTableLines(text: string): DmTableLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [start, length, target, ...args] = line.split(/\s+/);
      return { start: Number(start), length: Number(length), target: target ?? '', args };
    });
}
