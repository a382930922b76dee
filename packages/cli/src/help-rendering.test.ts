/*
 * `--help` must read well in an 80-column terminal and when piped (no width known): yargs 17
 * broke words in two ("pr / int"), which issue 20 reported. Each help text is rendered at 80
 * columns, piped and at 120 columns; the narrow ones must fit and hold exactly the words of the
 * wide one, in the same order, so no word was cut.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import type { CliIO, OutputStream } from './printer.js';

class Capture implements OutputStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns: number | undefined,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

async function help(command: readonly string[], terminal: { columns?: number }): Promise<string> {
  const tty = terminal.columns !== undefined;
  const io: CliIO = { stdout: new Capture(tty, terminal.columns), stderr: new Capture(tty, terminal.columns) };
  const code = await runCli([...command, '--help'], io);
  expect(code, command.join(' ')).toBe(0);
  return (io.stdout as Capture).text;
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== '');

const COMMANDS = [
  [],
  ['daemon'],
  ['create'],
  ['delete'],
  ['list'],
  ['snapshot'],
  ['snapshot', 'list'],
  ['snapshot', 'forget'],
  ['backup'],
  ['backup', 'create'],
  ['backup', 'verify'],
  ['backup', 'forget'],
  ['schedule', 'create'],
];

describe('convoy --help layout', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(top)', c] as const))('%s: fits 80 columns and piped output without cutting a word', async (_, command) => {
    const wide = await help(command, { columns: 120 });
    for (const narrow of [await help(command, { columns: 80 }), await help(command, {})]) {
      const tooLong = narrow.split('\n').filter((line) => line.length > 80);
      expect(tooLong).toEqual([]);
      expect(words(narrow)).toEqual(words(wide));
    }
  });
});
