import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Runs one command as a child under GNU time, which reads the child's rusage from wait4:
 * user and system CPU and peak RSS of the child (and any children it waited for). Wall time
 * is taken here around the spawn, so every tool pays the same process start-up.
 */
export async function measure(argv, { env = process.env, cwd } = {}) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'convoy-bench-time-'));
  const timeFile = path.join(scratch, 'rusage');
  try {
    const started = performance.now();
    const { code, stdout, stderr } = await run('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...argv], { env, cwd });
    const wallSeconds = (performance.now() - started) / 1000;
    if (code !== 0) {
      throw new Error(`${argv.join(' ')} exited with ${code}:\n${tail(stderr)}\n${tail(stdout)}`);
    }
    // GNU time may prefix a "Command exited with non-zero status" line; the figures are the last line.
    const [user, sys, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    return { wallSeconds, userSeconds: user, sysSeconds: sys, cpuSeconds: user + sys, maxRssBytes: rssKiB * 1024, stdout, stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * One measured step of a tool as a bench record: the child's figures and what it added to its
 * store (`storeUsage()` before and after). Returns the record and the child's stdout.
 */
export async function measureStep({ tool, store, caseName, command, storeUsage }) {
  const before = storeUsage();
  const loadavg1AtStart = loadavg()[0];
  const m = await measure(command.argv, command);
  const after = storeUsage();
  const record = {
    tool,
    store,
    case: caseName,
    wallSeconds: m.wallSeconds,
    userSeconds: m.userSeconds,
    sysSeconds: m.sysSeconds,
    cpuSeconds: m.cpuSeconds,
    maxRssBytes: m.maxRssBytes,
    storeBytesAdded: after.bytes - before.bytes,
    storeObjectsAdded: after.objects - before.objects,
    storeBytes: after.bytes,
    loadavg1AtStart,
  };
  return { record, stdout: m.stdout };
}

/** Spawns and collects output; resolves with the exit code (never rejects on a non-zero one). */
export function run(command, args, { env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? `signal ${signal}`, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

/** Like `run`, but a non-zero exit is an error that shows the output. */
export async function runChecked(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}:\n${tail(result.stderr)}\n${tail(result.stdout)}`);
  return result;
}

function tail(text, lines = 20) {
  return text.trim().split('\n').slice(-lines).join('\n');
}
