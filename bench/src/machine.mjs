import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const firstLine = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return 'not installed';
  }
};

/** What the numbers were measured on, recorded with them. */
export function describeMachine() {
  const cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? os.cpus()[0]?.model;
  return {
    cpu: cpuModel,
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
    restic: firstLine('restic', ['version']),
    borg: firstLine('borg', ['--version']),
    loadavgAtStart: os.loadavg(),
    startedAt: new Date().toISOString(),
  };
}
