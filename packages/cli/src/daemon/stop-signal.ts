import type { Logger } from '@convoy/core';
import type { RunningDaemon } from './start-daemon.js';

/**
 * The daemon's life after start-up, for `convoy daemon` and the test harness alike: the first
 * SIGINT or SIGTERM stops it (bounded by its stop deadline); a second signal while it stops
 * abandons it at once, which still removes the Docker spec file and the sockets and releases
 * the root lock. Resolves with the exit code: 0 for a clean stop, 1 when the deadline passed,
 * 130 after a second signal. The caller exits with it explicitly: a request hung on a store
 * may hold a socket open that would otherwise keep the process alive.
 */
export function serveUntilStopped(daemon: RunningDaemon, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.error('second signal while stopping: exiting now', { signal });
        void daemon.abandon(`second signal (${signal}) while stopping`).finally(() => resolve(130));
        return;
      }
      stopping = true;
      log.info('stopping', { signal });
      daemon.stop().then(
        (outcome) => resolve(outcome === 'stopped' ? 0 : 1),
        (err: unknown) => {
          log.error('stopping failed', { err });
          void daemon.abandon('stopping failed').finally(() => resolve(1));
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
