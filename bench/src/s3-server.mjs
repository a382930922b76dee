import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { usage } from './files.mjs';
import { runChecked } from './measure.mjs';

const OBJECT_SUFFIX = '._S3rver_object';
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

/** A self-signed certificate for 127.0.0.1, so restic can talk TLS to s3rver (`--cacert`). */
export async function makeTlsCert(dir) {
  mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'tls.key');
  const cert = path.join(dir, 'tls.crt');
  await runChecked('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { key, cert };
}

/**
 * The bench's S3 server: a child process running s3rver on 127.0.0.1 over https, with a
 * request counter. The bucket's objects are files under `directory`.
 */
export class S3Server {
  #child;
  #waiting = [];
  constructor(child, info, { directory, bucket, cert }) {
    this.#child = child;
    this.httpsEndpoint = `https://127.0.0.1:${info.httpsPort}`;
    this.bucket = bucket;
    this.bucketDir = path.join(directory, bucket);
    this.certFile = cert;
    child.on('message', (msg) => this.#waiting.shift()?.(msg));
  }

  static async start({ directory, bucket, tls }) {
    mkdirSync(directory, { recursive: true });
    const child = fork(path.join(import.meta.dirname, 's3-server-process.mjs'), [JSON.stringify({ directory, bucket, keyFile: tls.key, certFile: tls.cert })], {
      execArgv: ['--openssl-legacy-provider'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const info = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
    });
    return new S3Server(child, info, { directory, bucket, cert: tls.cert });
  }

  #ask(msg) {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.send(msg);
    });
  }

  /**
   * Requests served since the last reset: by HTTP method, their total, and the bytes on the
   * wire (`bytes.received` from the clients, `bytes.sent` to them, TLS included).
   */
  async requests() {
    const { stats, bytes } = await this.#ask('stats');
    return { byMethod: stats, total: Object.values(stats).reduce((a, b) => a + b, 0), bytes };
  }

  async resetRequests() {
    await this.#ask('reset');
  }

  /** Objects in the bucket and their bytes, as stored (s3rver keeps one file per object). */
  bucketUsage() {
    const { bytes, files } = usage(this.bucketDir, (name) => name.endsWith(OBJECT_SUFFIX));
    return { bytes, objects: files };
  }

  /** The same server and bucket, reached at another endpoint (the latency proxy in front of it). */
  via(endpoint) {
    return {
      bucket: this.bucket,
      bucketDir: this.bucketDir,
      certFile: this.certFile,
      httpsEndpoint: endpoint,
      requests: () => this.requests(),
      resetRequests: () => this.resetRequests(),
      bucketUsage: () => this.bucketUsage(),
    };
  }

  async stop() {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.disconnect();
    await exited;
  }
}
