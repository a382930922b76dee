import { ConvoyError, checkDeclaredOptions, type OptionSpec } from '@convoy/core';

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

interface SettingSpec extends OptionSpec {
  parse: (value: string) => S3Settings[keyof S3Settings];
}

const SPECS: Record<keyof S3Settings, SettingSpec> = {
  plainPayload: {
    key: 's3.plainPayload',
    default: 'true',
    description: 'send un-chunked payloads and skip optional checksums (true or false)',
    parse: parseBoolean,
  },
  pageSize: { key: 's3.pageSize', default: '1000', description: 'keys per listing request, 1 to 1000', parse: integer(1, 1000) },
  maxAttempts: { key: 's3.maxAttempts', default: '5', description: 'attempts per request, the first included, 1 to 20', parse: integer(1, 20) },
  partSize: {
    key: 's3.partSize',
    default: String(8 * MiB),
    description: 'bytes per part of a multipart upload, 5 MiB to 5 GiB',
    parse: integer(5 * MiB, 5 * 1024 * MiB),
  },
  partConcurrency: { key: 's3.partConcurrency', default: '4', description: 'parts uploaded at once by one upload, 1 to 64', parse: integer(1, 64) },
  maxSockets: { key: 's3.maxSockets', default: '16', description: 'sockets kept alive per host, 1 to 1024', parse: integer(1, 1024) },
  requestTimeoutMs: {
    key: 's3.requestTimeoutMs',
    default: '60000',
    description: 'a request idle this long fails and is retried (ms)',
    parse: integer(100, 3_600_000),
  },
  region: { key: 's3.region', description: 'region when neither the URL nor the SDK environment gives one', parse: (v) => v },
};

/** The store's settings as declared options, for `--store-opts` checks and help. */
export const S3_OPTION_SPECS: OptionSpec[] = Object.values(SPECS).map(({ key, description, default: value }) => ({
  key,
  description,
  ...(value === undefined ? {} : { default: value }),
}));
export const S3_OPTION_KEYS = S3_OPTION_SPECS.map((spec) => spec.key);

export function parseS3Settings(options: Record<string, string> = {}): S3Settings {
  checkDeclaredOptions(options, S3_OPTION_SPECS, 'the S3 store');
  const settings = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(SPECS) as Array<[keyof S3Settings, SettingSpec]>) {
    const value = options[spec.key] ?? spec.default;
    if (value === undefined) {
      settings[name] = undefined;
      continue;
    }
    try {
      settings[name] = spec.parse(value);
    } catch (err) {
      throw new ConvoyError('INVALID_ARGUMENT', `S3 store option ${spec.key}=${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return settings as unknown as S3Settings;
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
