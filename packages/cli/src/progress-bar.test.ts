import { describe, expect, it } from 'vitest';
import { Printer } from './printer.js';
import { ProgressBar, renderProgress } from './progress-bar.js';

class Terminal {
  text = '';
  columns = 120;
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('the progress bar', () => {
  it('shows bytes, percentage, rate and ETA', () => {
    const line = renderProgress({ phase: 'upload', doneBytes: 50 * 2 ** 20, totalBytes: 200 * 2 ** 20 }, 5000);
    expect(line).toBe('upload [######..................]  25% 50.0 MiB/200.0 MiB 10.0 MiB/s ETA 00:15');
    expect(renderProgress({ phase: 'read', doneBytes: 3 * 2 ** 20, totalBytes: 0 }, 1000)).toBe('read 3.0 MiB 3.0 MiB/s');
  });

  it('redraws in place, throttled, and starts a new line per phase', () => {
    const term = new Terminal(true);
    let now = 0;
    const bar = new ProgressBar(term, () => now);
    bar.listener({ phase: 'upload', doneBytes: 0, totalBytes: 100 });
    now = 10;
    bar.listener({ phase: 'upload', doneBytes: 10, totalBytes: 100 }); // within 100 ms: skipped
    now = 200;
    bar.listener({ phase: 'upload', doneBytes: 100, totalBytes: 100 });
    bar.listener({ phase: 'commit', doneBytes: 1, totalBytes: 1 });
    bar.finish();
    const frames = term.text.split('\r').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[1]).toMatch(/^upload \[#{24}\] 100%/);
    expect(frames[1]?.endsWith('\n')).toBe(true);
    expect(frames[2]).toMatch(/^commit .*\n$/);
  });

  it('fits a terminal that reports no width into 80 columns', () => {
    const term = new Terminal(true);
    term.columns = 0;
    new ProgressBar(term).listener({ phase: 'backup', doneBytes: 5 * 2 ** 20, totalBytes: 0 });
    expect(term.text).toMatch(/^\rbackup 5\.0 MiB 0 B\/s +$/);
    expect(term.text).toHaveLength(80);
  });

  it('appears only on a terminal and never with --json', () => {
    expect(new Printer({ stdout: new Terminal(true), stderr: new Terminal(true) }, 'table').progress()).toBeTypeOf('function');
    expect(new Printer({ stdout: new Terminal(true), stderr: new Terminal(true) }, 'json').progress()).toBeUndefined();
    expect(new Printer({ stdout: new Terminal(false), stderr: new Terminal(true) }, 'go').progress()).toBeUndefined();
  });
});
