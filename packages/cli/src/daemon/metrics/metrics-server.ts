import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@convoy/core';
import type { Registry } from 'prom-client';
import type { MetricsListen } from './metrics-listen.js';

export interface MetricsServer {
  /** `http://host:port/metrics`, with the port actually bound (port 0 picks one). */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` in Prometheus' text format; anything else is 404. */
export async function startMetricsServer(listen: MetricsListen, registry: Registry, log: Logger): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        // A collector that failed (a driver's info) must not take the endpoint down.
        log.error('collecting metrics failed', { err });
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(err as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}/metrics`;
  log.info('serving metrics', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
