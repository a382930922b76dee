import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { bundleForNode } from './bundle.js';
import { testDaemonConfig } from './cli.js';

const bundle = bundleForNode(path.join(import.meta.dirname, '../packages/cli/src/daemon-process.child.ts'));

/**
 * `convoy daemon` as a real process (the test daemon's settings, rooted in `dir`), for tests that
 * SIGKILL it; resolves once its socket is up.
 */
export async function startDaemonProcess(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [await bundle, JSON.stringify(testDaemonConfig(dir))], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready\n')) resolve(child);
    });
    child.once('exit', (code, signal) => reject(new Error(`daemon exited (${code ?? signal}) before it was ready: ${stderr}`)));
  });
}

/** SIGTERM, and wait for the process to exit. */
export async function stopDaemonProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
