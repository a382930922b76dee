import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** s3rver's built-in account; any other key pair is refused. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>`: the endpoint (path-style) to give the S3 store. */
  endpoint: string;
  port: number;
  /** Where s3rver keeps the objects (a temp dir, removed on stop). */
  directory: string;
  /** The child's pid, e.g. to stop it from the outside in a test. */
  pid: number;
  stop(): Promise<void>;
}

/** Runs in the child: s3rver's programmatic API on 127.0.0.1, port 0, printing the port it got. */
const CHILD = `
const S3rver = require(process.env.S3RVER_MODULE);
const buckets = JSON.parse(process.env.S3RVER_BUCKETS).map((name) => ({ name }));
new S3rver({ address: '127.0.0.1', port: 0, directory: process.env.S3RVER_DIR, silent: true, configureBuckets: buckets })
  .run()
  .then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'), (err) => { console.error(err); process.exit(1); });
`;

/**
 * Starts s3rver 3.7.1 as a child process on 127.0.0.1 with a free port and a fresh directory,
 * with `--openssl-legacy-provider` (it encrypts ContinuationTokens with DES, which OpenSSL 3
 * refuses otherwise: every paginated listing would fail with HTTP 500), waits until it answers,
 * and stops it in afterAll. The buckets given are created before it starts.
 */
export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(tmpdir(), 'convoy-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD], {
    env: {
      ...process.env,
      S3RVER_MODULE: createRequire(import.meta.url).resolve('s3rver'),
      S3RVER_DIR: directory,
      S3RVER_BUCKETS: JSON.stringify(opts.buckets ?? []),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    await killChild(child);
    await rm(directory, { recursive: true, force: true });
  };
  afterAll(stop);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening: ${stderr}`)));
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await answers(endpoint);
    return { endpoint, port, directory, pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Any HTTP answer (403 without a signature is fine) means it is serving. */
function answers(endpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(endpoint, (res) => {
        res.resume();
        resolve();
      })
      .on('error', reject);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
