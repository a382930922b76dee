import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock, precisely enough to tell later whether that process is gone: the pid alone
 * is not enough (pids are reused, and another machine sharing an NFS path has its own), so the
 * kernel boot id and the process start time travel with it.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** `/proc/sys/kernel/random/boot_id`: equal only for processes of the same running kernel. */
  bootId: string;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks since boot): tells a reused pid apart. */
  startTime: string;
  /** `/proc/self/ns/pid`: a pid means the same process only inside the same pid namespace. */
  pidNamespace: string;
}

let self: ProcessIdentity | undefined;

export function currentProcessIdentity(): ProcessIdentity {
  self ??= {
    host: hostname(),
    pid: process.pid,
    bootId: readProc(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    startTime: readStartTime(process.pid) ?? '',
    pidNamespace: readProc(() => readlinkSync('/proc/self/ns/pid')),
  };
  return self;
}

/**
 * True only when `owner` certainly no longer runs: it ran under this kernel, in our pid
 * namespace, and its pid is now free or belongs to a process started at another time. An
 * owner on another machine or in another container is never called dead here; locks use an
 * expiry for those.
 */
export function isProcessGone(owner: ProcessIdentity): boolean {
  const me = currentProcessIdentity();
  if (!owner.bootId || owner.bootId !== me.bootId || !owner.pidNamespace || owner.pidNamespace !== me.pidNamespace) return false;
  if (owner.pid === me.pid) return owner.startTime !== me.startTime;
  const startTime = readStartTime(owner.pid);
  return startTime === undefined || startTime !== owner.startTime;
}

/** '' where /proc is unavailable: such an owner is then never judged dead, only expired. */
function readProc(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

function readStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}
