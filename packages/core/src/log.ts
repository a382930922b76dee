import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from './driver.js';
import { ConvoyError } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Append to this file; stdout when absent. */
  file?: string;
  /** Fields added to every line (e.g. `{ component: 'daemon' }`). */
  base?: Record<string, unknown>;
}

export interface JsonLogger extends Logger {
  /** A logger writing to the same place with extra fields on every line. */
  child(fields: Record<string, unknown>): JsonLogger;
  /** Closes the log file (no-op for stdout). */
  close(): void;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in LEVEL_RANK;
}

/**
 * A JSON-lines logger: one object per line with `time`, `level`, `msg` and the fields.
 * Lines are written synchronously so that the last words before a crash reach the file, and
 * lines from concurrent operations never interleave.
 */
export function createJsonLogger(opts: JsonLoggerOptions = {}): JsonLogger {
  const level = opts.level ?? 'info';
  if (!isLogLevel(level)) throw new ConvoyError('INVALID_ARGUMENT', `unknown log level ${JSON.stringify(level)}; use debug, info, warn or error`);
  let fd: number;
  try {
    fd = opts.file === undefined ? 1 : openSync(opts.file, 'a', 0o640);
  } catch (err) {
    throw new ConvoyError('INVALID_ARGUMENT', `cannot open log file ${opts.file}: ${(err as Error).message}`, { cause: err });
  }
  const ownsFd = opts.file !== undefined;
  let closed = false;
  const threshold = LEVEL_RANK[level];

  const write = (lineLevel: LogLevel, base: Record<string, unknown>, msg: string, fields?: Record<string, unknown>): void => {
    if (closed || LEVEL_RANK[lineLevel] < threshold) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg, ...base, ...fields }, jsonSafe) + '\n';
    writeSync(fd, line);
  };

  const make = (base: Record<string, unknown>): JsonLogger => ({
    debug: (msg, fields) => write('debug', base, msg, fields),
    info: (msg, fields) => write('info', base, msg, fields),
    warn: (msg, fields) => write('warn', base, msg, fields),
    error: (msg, fields) => write('error', base, msg, fields),
    child: (fields) => make({ ...base, ...fields }),
    close: () => {
      if (closed) return;
      closed = true;
      if (ownsFd) closeSync(fd);
    },
  });
  return make(opts.base ?? {});
}

/** Errors become `{code, message}` instead of `{}`; bigints become strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof ConvoyError) return value.toJSON();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Drops everything: for library users and tests that do not care about logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
