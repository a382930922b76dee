import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { until } from '@convoy/test-support/until';
import type { ScheduleView } from '@convoy/volume-service';
import { describe, expect, it } from 'vitest';
import { convoy, testDaemonConfig } from '../test/cli-harness.js';
import { startDaemonProcess } from '../test/daemon-process.js';

/**
 * The daemon as a real process, SIGKILLed while a scheduled run backs up: the restarted daemon
 * records that run as failed (INTERRUPTED) and the schedule carries on with a run that succeeds.
 */
const dir = await tempDir('convoy-schedule-kill-');
const cli = (args: string[]) => convoy(['--socket', path.join(dir, 'convoy.sock'), ...args]);
const view = async () => (await cli(['schedule', 'inspect', 'often', '--json'])).json<ScheduleView>();

describe('the daemon SIGKILLed during a scheduled run', () => {
  it('the next start records the run as failed, and the next run happens and succeeds', async () => {
    await mkdir(path.join(dir, 'volumes'), { recursive: true });
    await mkdir(path.join(dir, 'store'));
    let daemon = await startDaemonProcess(testDaemonConfig(dir));
    try {
      expect((await cli(['create', 'db'])).code).toBe(0);
      const mountpoint = (await cli(['mount', 'db'])).stdout.trim();
      // Incompressible data, so that a run lasts long enough to be caught in the middle.
      await writeFile(path.join(mountpoint, 'table.bin'), randomBytes(16 * 1024 * 1024));
      const created = await cli([
        'schedule',
        'create',
        'often',
        '--volume',
        'db',
        '--every',
        '1s',
        '--backup',
        `vfs://${path.join(dir, 'store')}`,
        '--compression',
        'none',
        '--keep-last',
        '2',
      ]);
      expect(created.code, created.stderr).toBe(0);

      const caught = await until(
        'a run recorded as in progress',
        async () => {
          const v = await view();
          return v.lastRun?.outcome === 'running' ? v : undefined;
        },
        { intervalMs: 10 },
      );
      daemon.child.kill('SIGKILL');
      await new Promise((resolve) => daemon.child.once('exit', resolve));

      daemon = await startDaemonProcess(testDaemonConfig(dir));
      // The restarted daemon may already be in its next run (it was due): the record of the
      // killed one is the last error and one more failure.
      const after = await view();
      expect(after.failures).toBe(caught.failures + 1);
      expect(after.lastError).toMatchObject({ code: 'INTERRUPTED', message: `the daemon stopped during the run that started at ${caught.lastRun!.startedAt}` });

      const recovered = await until('a successful run after the restart', async () => {
        const v = await view();
        return v.lastRun?.outcome === 'succeeded' && !v.running ? v : undefined;
      });
      expect(recovered.runs).toBeGreaterThan(after.runs);
      expect((await cli(['schedule', 'pause', 'often'])).code).toBe(0);
    } finally {
      await daemon.stop();
    }
  });
});
