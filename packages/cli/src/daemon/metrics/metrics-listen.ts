import net from 'node:net';
import { ConvoyError } from '@convoy/core/lite';

export interface MetricsListen {
  host: string;
  port: number;
}

/**
 * Parses `--metrics-listen HOST:PORT` (`127.0.0.1:9796`, `[::1]:9796`). Metrics name volumes
 * and stores, so an address other hosts can reach is refused unless `allowPublic` says so.
 */
export function parseMetricsListen(text: string, allowPublic: boolean): MetricsListen {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `--metrics-listen ${JSON.stringify(text)} must be HOST:PORT, e.g. 127.0.0.1:9796 or [::1]:9796 (port 0 picks a free one)`,
    );
  }
  if (!allowPublic && !isLoopback(host)) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `--metrics-listen ${text} is not a loopback address; metrics name your volumes and stores, so Convoy serves them on 127.0.0.1 or ::1 only, unless you add --metrics-allow-public`,
    );
  }
  return { host, port };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
