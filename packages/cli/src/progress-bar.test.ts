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

  it('ends with a summary of each phase and the whole time when the command succeeded, and none when it failed', () => {
    const term = new Terminal(true);
    let now = 0;
    const bar = new ProgressBar(term, () => now);
    bar.listener({ phase: 'backup', doneBytes: 0, totalBytes: 100 * 2 ** 20 });
    now = 4000;
    bar.listener({ phase: 'backup', doneBytes: 100 * 2 ** 20, totalBytes: 100 * 2 ** 20 });
    bar.summaryListener({ storedBytes: 80 * 2 ** 20 });
    now = 4500;
    bar.finish({ succeeded: true });
    expect(term.text.split('\n').at(-2)).toBe('done: backup 100.0 MiB in 4.0 s, 25.0 MiB/s; 4.5 s in all; stored 80.0 MiB');

    const failed = new Terminal(true);
    const other = new ProgressBar(failed, () => now);
    other.listener({ phase: 'backup', doneBytes: 1, totalBytes: 2 });
    other.finish();
    expect(failed.text).not.toContain('done:');
  });

  it('shows the time spent while the daemon sends no progress (prune, forget), then says how long it took', () => {
    const term = new Terminal(true);
    let now = 0;
    const bar = new ProgressBar(term, () => now, 'prune');
    expect(term.text).toMatch(/^\rprune: working, 0 ms +$/);
    now = 61_500;
    bar.finish({ succeeded: true });
    expect(term.text.endsWith('\ndone: prune in 1:02\n')).toBe(true);
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
