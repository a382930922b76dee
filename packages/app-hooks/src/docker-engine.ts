import http from 'node:http';
import { ConvoyError } from '@convoy/core';
import { ExecOutput } from './exec-output.js';

/**
 * The few Docker Engine API calls the hooks need, as plain HTTP over the daemon's unix socket
 * (no docker CLI, no SDK): list running containers, create and start an exec, read its exit
 * code. Answers are bounded in size; a request that outlives its deadline is destroyed.
 */

/** JSON answers larger than this are refused (a container list of a busy host fits many times). */
const MAX_JSON = 16 * 1024 * 1024;

export interface ContainerMount {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
}

export interface RunningContainer {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string> | null;
  Mounts?: ContainerMount[] | null;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved, at most the last 4 KiB. */
  output: string;
}

/** The exec's deadline passed; the process may still be running in its container. */
export class ExecTimeout extends Error {}

interface Answer {
  status: number;
  body: Buffer;
}

export class DockerEngine {
  constructor(readonly socketPath: string) {}

  /** The running containers with their labels and mounts. */
  async runningContainers(): Promise<RunningContainer[]> {
    const answer = await this.request('GET', '/containers/json', undefined, 30_000);
    return this.json(answer, 'list containers') as RunningContainer[];
  }

  /**
   * Runs argv inside the container (exec create, start attached, inspect) and returns its exit
   * code and output. ExecTimeout after `timeoutMs`; a ConvoyError when Docker refuses (a stopped
   * container answers 409).
   */
  async exec(containerId: string, argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const created = await this.request(
      'POST',
      `/containers/${encodeURIComponent(containerId)}/exec`,
      { Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false },
      left(),
    );
    const { Id } = this.json(created, `exec in container ${containerId}`) as { Id: string };
    const output = new ExecOutput();
    const started = await this.request('POST', `/exec/${encodeURIComponent(Id)}/start`, { Detach: false, Tty: false }, left(), (chunk) => output.push(chunk));
    if (started.status >= 300) this.json(started, `start exec in container ${containerId}`);
    const inspected = this.json(await this.request('GET', `/exec/${encodeURIComponent(Id)}/json`, undefined, left()), 'inspect exec') as {
      ExitCode: number | null;
      Running: boolean;
    };
    if (inspected.Running || inspected.ExitCode === null) throw new ExecTimeout(`the exec in container ${containerId} is still running`);
    return { exitCode: inspected.ExitCode, output: output.text() };
  }

  private json(answer: Answer, what: string): unknown {
    const text = answer.body.toString('utf8');
    if (answer.status >= 300) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: the text itself explains.
      }
      throw new ConvoyError(
        answer.status === 404 ? 'NOT_FOUND' : answer.status === 409 ? 'BUSY' : 'COMMAND_FAILED',
        `Docker refused to ${what}: ${message.slice(0, 500)}`,
        {
          details: { status: answer.status },
        },
      );
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConvoyError('COMMAND_FAILED', `Docker answered ${what} with something that is not JSON`, { cause: err });
    }
  }

  /** A successful answer's body goes to `stream` when given (and is not kept), else it is collected up to MAX_JSON. */
  private request(method: string, path: string, body: unknown, timeoutMs: number, stream?: (chunk: Buffer) => void): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: `/v1.41${path}`,
          headers: { Host: 'docker', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const streamed = stream !== undefined && (res.statusCode ?? 0) < 300;
          res.on('data', (chunk: Buffer) => {
            if (streamed) return stream(chunk);
            size += chunk.length;
            if (size > MAX_JSON) req.destroy(new ConvoyError('COMMAND_FAILED', `Docker's answer to ${method} ${path} exceeds ${MAX_JSON} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new ExecTimeout(`Docker did not answer ${method} ${path} within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }
}
