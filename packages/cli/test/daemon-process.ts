/*
 * `convoy daemon` as a real child process (test/daemon-process.child.ts, bundled),
 * for tests that kill it or check that it survives a failed operation.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { bundleForNode } from '@convoy/test-support/bundle';
import type { DaemonConfig } from '../src/daemon/start-daemon.js';

let bundled: Promise<string> | undefined;

/** Bundles the daemon entry once per test file; call at module level (registers cleanup). */
export function bundleDaemon(): Promise<string> {
  bundled ??= (async () => {
    const bundle = await bundleForNode(path.resolve(import.meta.dirname, 'daemon-process.child.ts'));
    // The CSI server reads csi.proto from beside its module: beside the bundle here.
    await cp(path.resolve(import.meta.dirname, '../../csi-server/src/proto'), path.join(path.dirname(bundle), 'proto'), { recursive: true });
    return bundle;
  })();
  return bundled;
}

export interface DaemonProcess {
  child: ChildProcess;
  /** What the daemon wrote to stderr so far. */
  stderr(): string;
  /** What the daemon wrote to stdout so far (its log, unless configured otherwise). */
  stdout(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGTERM, then wait for the exit; resolves with the exit code or signal. */
  stop(): Promise<number | string>;
}

/** Starts the daemon with `config` and resolves once its socket is up. */
export async function startDaemonProcess(config: Omit<DaemonConfig, 'log'>, env: NodeJS.ProcessEnv = process.env): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [await bundleDaemon(), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready\n')) resolve();
    });
    void exited.then((how) => reject(new Error(`daemon exited (${how}) before it was ready: ${stderr}`)));
  });
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
