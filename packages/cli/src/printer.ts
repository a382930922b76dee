import { toConvoyError, type ProgressListener } from '@convoy/core';
import { ProgressBar } from './progress-bar.js';

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
 * Everything a command prints goes through here: JSON on stdout under --json, human text
 * otherwise; failures as ONE line `convoy: <message>` on stderr (or a JSON error on stdout).
 */
export class Printer {
  private bar: ProgressBar | undefined;
  /** What the command exits with when it ran to the end (e.g. verify finding damage). */
  exitCode = 0;

  constructor(
    private readonly io: CliIO,
    readonly json: boolean,
  ) {}

  /** Prints a result: `value` as JSON under --json, else the text `human` renders. */
  result(value: unknown, human: () => string): void {
    this.bar?.finish();
    if (this.json) {
      this.io.stdout.write(JSON.stringify(value ?? {}) + '\n');
      return;
    }
    const text = human();
    if (text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Prints help or usage text as it is. */
  text(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Whether a person is at a terminal to answer a question (never under --json). */
  get interactive(): boolean {
    return !this.json && this.io.stderr.isTTY === true;
  }

  /** A progress bar on a terminal; nothing with --json or when stdout is not a terminal. */
  progress(): ProgressListener | undefined {
    if (this.json || !this.io.stdout.isTTY || !this.io.stderr.isTTY) return undefined;
    this.bar = new ProgressBar(this.io.stderr);
    return this.bar.listener;
  }

  /** Reports a failure and returns the exit code. */
  failure(err: unknown, exitCode = 1): number {
    this.bar?.finish();
    const error = toConvoyError(err);
    if (this.json) this.io.stdout.write(JSON.stringify({ error: error.toJSON() }) + '\n');
    else this.io.stderr.write(`convoy: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return exitCode;
  }
}

/** A fixed-width table: one header row, columns as wide as their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
