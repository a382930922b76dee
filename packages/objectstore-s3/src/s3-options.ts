import { ConvoyError } from '@convoy/core';

/**
 * The store's settings, from `ObjectStoreOptions.options` (strings, as the CLI passes them).
 * Every key is documented in the package README.
 */
export interface S3Settings {
  /** Send un-chunked payloads and skip optional checksums (SDK `WHEN_REQUIRED`). Default true. */
  plainPayload: boolean;
  /** Keys per listing request (MaxKeys). Default 1000. */
  pageSize: number;
  /** Attempts per request, the first included, with exponential backoff and jitter. Default 5. */
  maxAttempts: number;
  /** Objects larger than this are uploaded in parts of this size. Default 8 MiB (S3's minimum part is 5 MiB). */
  partSize: number;
  /** Parts uploaded at once by one multipart upload. Default 4. */
  partConcurrency: number;
  /** Sockets kept alive per host. Default 16. */
  maxSockets: number;
  /** A request whose socket is idle this long fails (and is retried). Default 60000. */
  requestTimeoutMs: number;
  /** Region when neither the URL nor the SDK environment gives one. Default us-east-1 with an endpoint. */
  region: string | undefined;
}

const MiB = 1024 * 1024;

const SPECS: Record<keyof S3Settings, { key: string; parse: (v: string) => S3Settings[keyof S3Settings] }> = {
  plainPayload: { key: 's3.plainPayload', parse: parseBoolean },
  pageSize: { key: 's3.pageSize', parse: integer(1, 1000) },
  maxAttempts: { key: 's3.maxAttempts', parse: integer(1, 20) },
  partSize: { key: 's3.partSize', parse: integer(5 * MiB, 5 * 1024 * MiB) },
  partConcurrency: { key: 's3.partConcurrency', parse: integer(1, 64) },
  maxSockets: { key: 's3.maxSockets', parse: integer(1, 1024) },
  requestTimeoutMs: { key: 's3.requestTimeoutMs', parse: integer(100, 3_600_000) },
  region: { key: 's3.region', parse: (v) => v },
};

export const S3_OPTION_KEYS = Object.values(SPECS).map((s) => s.key);

export function parseS3Settings(options: Record<string, string> = {}): S3Settings {
  const settings: S3Settings = {
    plainPayload: true,
    pageSize: 1000,
    maxAttempts: 5,
    partSize: 8 * MiB,
    partConcurrency: 4,
    maxSockets: 16,
    requestTimeoutMs: 60_000,
    region: undefined,
  };
  const unknown = Object.keys(options).filter((k) => !S3_OPTION_KEYS.includes(k));
  if (unknown.length > 0) throw new ConvoyError('INVALID_ARGUMENT', `unknown S3 store option ${unknown.join(', ')}; known: ${S3_OPTION_KEYS.join(', ')}`);
  for (const [name, spec] of Object.entries(SPECS) as Array<[keyof S3Settings, (typeof SPECS)[keyof S3Settings]]>) {
    const value = options[spec.key];
    if (value === undefined) continue;
    try {
      (settings as unknown as Record<string, unknown>)[name] = spec.parse(value);
    } catch (err) {
      throw new ConvoyError('INVALID_ARGUMENT', `S3 store option ${spec.key}=${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return settings;
}

function parseBoolean(value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error('use true or false');
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`use a whole number from ${min} to ${max}`);
    return n;
  };
}
