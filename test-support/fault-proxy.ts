import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

/**
 * What the proxy does to a request a rule picks:
 * - `slowdown`: answers 503 with S3's SlowDown error (throttling);
 * - `internal-error`: answers 500 InternalError;
 * - `reset`: resets the TCP connection (RST) after reading the request;
 * - `drop`: closes the connection after reading the request, without answering;
 * - `cut-response`: forwards the request, then closes the connection halfway through the
 *   response body (a download cut off mid-object);
 * - `stall`: reads the request and never answers, the connection left open (a hung server);
 * - `stall-response`: forwards the request, sends half the response body, then goes silent
 *   with the connection open (a transfer that stalls mid-object).
 */
export type Fault = 'slowdown' | 'internal-error' | 'reset' | 'drop' | 'cut-response' | 'stall' | 'stall-response';

export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
}

export interface FaultRule {
  fault: Fault;
  /** Which requests the rule applies to; all when absent. */
  match?: (req: ProxiedRequest) => boolean;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /**
   * Told of each request the fault is served to, with a promise that settles when the client
   * closes that connection: a test of cancelling waits on it to prove no socket is left behind.
   */
  served?: (req: ProxiedRequest, closed: Promise<void>) => void;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this as the S3 endpoint instead of the server's. */
  endpoint: string;
  inject(rule: FaultRule): void;
  /** Faults served so far, by kind. */
  readonly injected: Record<Fault, number>;
  /** Requests forwarded to the server. */
  readonly forwarded: number;
  /** Every request the proxy received, in order: tests read what a client really sent. */
  readonly requests: readonly ProxiedRequest[];
  stop(): Promise<void>;
}

const S3_ERRORS: Record<'slowdown' | 'internal-error', { status: number; code: string; message: string }> = {
  slowdown: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  'internal-error': { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
};

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 server that injects faults into chosen requests.
 * Requests pass through byte for byte (the Host header included, so SigV4 signatures made for
 * the proxy's address still verify). Stopped in afterAll.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Array<Required<Pick<FaultRule, 'fault' | 'times'>> & FaultRule> = [];
  const injected: Record<Fault, number> = { slowdown: 0, 'internal-error': 0, reset: 0, drop: 0, 'cut-response': 0, stall: 0, 'stall-response': 0 };
  let forwarded = 0;
  const requests: ProxiedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const seen: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/' };
    requests.push(seen);
    const rule = rules.find((r) => r.times > 0 && (r.match?.(seen) ?? true));
    if (rule) {
      rule.times -= 1;
      injected[rule.fault] += 1;
      rule.served?.(seen, new Promise<void>((resolve) => req.socket.once('close', () => resolve())));
    }
    const fault = rule?.fault;
    if (fault === 'stall') {
      req.resume();
      return;
    }
    const cutsBody = fault === 'cut-response' || fault === 'stall-response';
    if (fault && !cutsBody) {
      // Read the whole request first, as a server would before failing it.
      req.resume();
      req.on('end', () => {
        if (fault === 'reset') req.socket.resetAndDestroy();
        else if (fault === 'drop') req.socket.destroy();
        else {
          const { status, code, message } = S3_ERRORS[fault];
          const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
          res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      });
      return;
    }
    forwarded += 1;
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!cutsBody) {
        answer.pipe(res);
        return;
      }
      let sent = 0;
      const half = Number(answer.headers['content-length'] ?? 0) / 2;
      answer.on('data', (chunk: Buffer) => {
        if (sent >= half) return;
        res.write(chunk.subarray(0, Math.max(1, half - sent)));
        sent += chunk.length;
        if (sent >= half) {
          answer.destroy();
          // A stalled response keeps its socket open and silent until the client gives up.
          if (fault === 'cut-response') req.socket.destroy();
        }
      });
    });
    out.on('error', () => req.socket.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stop = async (): Promise<void> => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    agent.destroy();
  };
  afterAll(stop);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (rule) => rules.push({ ...rule, times: rule.times ?? 1 }),
    injected,
    get forwarded() {
      return forwarded;
    },
    requests,
    stop,
  };
}
