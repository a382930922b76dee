import type { ProgressListener } from '@convoy/core';
import { toConvoyError } from '@convoy/core/lite';
import type { SummaryListener } from '@convoy/plugin-server/client';
import { ProgressBar } from './progress-bar.js';
import { isTable, layoutTable, type Table } from './table.js';

export interface OutputStream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
}

/**
 * How results are printed:
 * - `go`: what Go Convoy's client printed (its JSON, or a bare name, path or URL), the default
 *   whenever stdout is not a terminal, so scripts written for Go Convoy keep working;
 * - `table`: readable text, the default on a terminal, forced by `--table`;
 * - `json`: always JSON, forced by `--json` (errors too, on stdout).
 */
export type OutputMode = 'go' | 'table' | 'json';

export function outputMode(flags: { json?: boolean; table?: boolean }, stdout: OutputStream): OutputMode {
  if (flags.json) return 'json';
  if (flags.table || stdout.isTTY) return 'table';
  return 'go';
}

/** What a command prints in each mode; absent `json` means the Go value. */
export interface Result {
  /** What Go Convoy printed; undefined: nothing (Go printed an empty answer). */
  go: unknown;
  json?: unknown;
  /** Text, or a table that the printer fits to the terminal. */
  table(): string | Table;
}

const goJson = (value: unknown) => JSON.stringify(value, null, '\t');

/**
 * Everything a command prints goes through here; failures as ONE line `convoy: <message>` on
 * stderr, or under --json as `{"Error": message, "error": {code, message, details}}` on stdout
 * (Go Convoy's key, then Convoy's typed error).
 */
export class Printer {
  private bar: ProgressBar | undefined;
  /** What the command exits with when it ran to the end (e.g. verify finding damage). */
  exitCode = 0;

  constructor(
    private readonly io: CliIO,
    readonly mode: OutputMode,
  ) {}

  result(result: Result): void {
    this.bar?.finish({ succeeded: true });
    let text: string;
    if (this.mode === 'table') {
      const readable = result.table();
      text = isTable(readable) ? layoutTable(readable, this.io.stdout.isTTY ? this.io.stdout.columns : undefined) : readable;
    } else if (this.mode === 'json') text = goJson(result.json ?? result.go ?? {});
    else if (result.go === undefined) text = '';
    else text = typeof result.go === 'string' ? result.go : goJson(result.go);
    if (text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Something the user must know besides the result (never on stdout, which scripts read; under --json the result carries it). */
  notice(text: string): void {
    if (this.mode !== 'json') this.io.stderr.write(`convoy: ${text}\n`);
  }

  /** Prints help or usage text as it is. */
  text(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Whether a person is at a terminal to answer a question (never under --json). */
  get interactive(): boolean {
    return this.mode !== 'json' && this.io.stderr.isTTY === true;
  }

  /**
   * A progress bar on a terminal; nothing when stdout or stderr is not one, or under --json.
   * With `label` it shows the time spent until the daemon's first progress (or throughout).
   */
  progress(label?: string): ProgressListener | undefined {
    if (this.mode === 'json' || !this.io.stdout.isTTY || !this.io.stderr.isTTY) return undefined;
    this.bar = new ProgressBar(this.io.stderr, Date.now, label);
    return this.bar.listener;
  }

  /** Where the daemon's summary goes (bytes stored), for the bar's closing line; after progress(). */
  summary(): SummaryListener | undefined {
    return this.bar?.summaryListener;
  }

  /** Ends the progress bar's line, without a summary (the command was interrupted). */
  endProgress(): void {
    this.bar?.finish();
  }

  /** Reports a failure and returns the exit code. */
  failure(err: unknown, exitCode = 1): number {
    this.bar?.finish();
    const error = toConvoyError(err);
    if (this.mode === 'json') this.io.stdout.write(goJson({ Error: error.message, error: error.toJSON() }) + '\n');
    else this.io.stderr.write(`convoy: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return exitCode;
  }
}
