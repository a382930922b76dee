import { execFileSync } from 'node:child_process';

/** The programs the bench runs, with the Debian package that provides each. */
const NEEDS = [
  { command: '/usr/bin/time', pkg: 'time', why: 'measures every step (rusage from wait4)' },
  { command: 'restic', pkg: 'restic', why: 'a peer' },
  { command: 'borg', pkg: 'borgbackup', why: 'a peer' },
  { command: 'lz4', pkg: 'lz4', why: "lz4's C speed, the machine limit" },
  { command: 'openssl', pkg: 'openssl', why: "the s3rver certificate restic's TLS needs" },
  { command: 'taskset', pkg: 'util-linux', why: 'pins the machine-limit measurements to one core' },
];

const present = (command) => {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Fails at once, naming the packages to install, when a program the bench runs is missing. */
export function checkPrograms(tools) {
  const missing = NEEDS.filter((n) => (n.why !== 'a peer' || tools.includes(n.command)) && !present(n.command));
  if (missing.length) {
    const list = missing.map((n) => `${n.command} (${n.why})`).join(', ');
    throw new Error(`pnpm bench needs ${list}: apt-get install ${missing.map((n) => n.pkg).join(' ')}`);
  }
}
