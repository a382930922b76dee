/*
 * The `convoy` CLI and a real daemon, for the CLI's own tests and the daemon-level tests in
 * integration/ (as @convoy/cli/testing): commands run in-process with captured output. It lives
 * here, with the daemon it starts, so test-support depends on core at most.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createJsonLogger, type JsonLogger, silentLogger } from '@convoy/core';
import { runCli } from '../src/cli.js';
import { type DaemonConfig, type RunningDaemon, startDaemon } from '../src/daemon/start-daemon.js';
import type { CliIO, OutputStream } from '../src/printer.js';

export type { RunningDaemon };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = unknown>(): T;
}

class Capture implements OutputStream {
  text = '';
  constructor(readonly isTTY = false) {}
  columns = 100;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** Runs one `convoy` command line in-process with captured output. */
export async function convoy(args: readonly string[], opts: { tty?: boolean } = {}): Promise<CliRun> {
  const stdout = new Capture(opts.tty);
  const stderr = new Capture(opts.tty);
  const io: CliIO = { stdout, stderr };
  const code = await runCli(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text, json: () => JSON.parse(stdout.text) };
}

const quietLog: JsonLogger = { ...silentLogger, child: () => quietLog, close: () => undefined };

/** The test daemon's settings: vfs volumes, root and socket all inside `dir`, no Docker. */
export function testDaemonConfig(dir: string): Omit<DaemonConfig, 'log'> {
  return {
    root: path.join(dir, 'root'),
    drivers: ['vfs'],
    driverOptions: { 'vfs.path': path.join(dir, 'volumes') },
    driverModules: [],
    storeOptions: {},
    socketPath: path.join(dir, 'convoy.sock'),
    ignoreDockerDelete: false,
    createOnDockerMount: false,
    cmdTimeoutMs: 60_000,
  };
}

/** A real daemon (vfs driver, plugin server) rooted in `dir`, without Docker registration. */
export async function startTestDaemon(dir: string, overrides: Partial<DaemonConfig> = {}): Promise<RunningDaemon> {
  await mkdir(path.join(dir, 'volumes'), { recursive: true });
  return startDaemon({
    ...testDaemonConfig(dir),
    log: process.env.CONVOY_TEST_LOG ? createJsonLogger({ level: 'debug' }) : quietLog,
    ...overrides,
  });
}
