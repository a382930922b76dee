import { fork } from 'node:child_process';
import path from 'node:path';

/**
 * The remote-S3 case's proxy (latency-proxy-process.mjs): `delayMs` each way in front of the
 * bench's s3rver, in a child process the bench starts and stops.
 */
export class LatencyProxy {
  #child;
  constructor(child, port, delayMs) {
    this.#child = child;
    this.httpsEndpoint = `https://127.0.0.1:${port}`;
    this.delayMs = delayMs;
  }

  static async start({ target, delayMs }) {
    const targetPort = Number(new URL(target).port);
    const child = fork(path.join(import.meta.dirname, 'latency-proxy-process.mjs'), [JSON.stringify({ targetPort, delayMs })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { port } = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the latency proxy exited with ${code} before it was ready`)));
    });
    return new LatencyProxy(child, port, delayMs);
  }

  async stop() {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.disconnect();
    await exited;
  }
}
