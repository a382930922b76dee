import type { Logger } from '@convoy/core';
import type { RunningDaemon } from './start-daemon.js';

/**
 * The daemon's life, for `convoy daemon` and the test harness alike. The signal handlers are in
 * place before start-up begins: the socket answers before start-up ends (metrics, CSI), and a
 * SIGINT in that window would otherwise kill the process with Node's default action, leaving the
 * socket, the Docker spec file and the root lock behind. A signal during start-up stops the
 * daemon as soon as it has started. The first SIGINT or SIGTERM stops it (bounded by its stop
 * deadline); a second signal while it stops abandons it at once, which still removes the Docker
 * spec file and the sockets and releases the root lock. Resolves with the exit code: 0 for a
 * clean stop, 1 when the deadline passed, 130 after a second signal. The caller exits with it
 * explicitly: a request hung on a store may hold a socket open that would otherwise keep the
 * process alive. The handlers are removed once it resolves, and when start-up fails (it rejects).
 */
export async function serveUntilStopped(start: () => Promise<RunningDaemon>, log: Logger): Promise<number> {
  let daemon: RunningDaemon | undefined;
  let signalled: NodeJS.Signals | undefined;
  let stopping = false;
  let settle: (code: number) => void = () => {};
  const exitCode = new Promise<number>((resolve) => (settle = resolve));
  const stop = (running: RunningDaemon, signal: NodeJS.Signals) => {
    stopping = true;
    log.info('stopping', { signal });
    running.stop().then(
      (outcome) => settle(outcome === 'stopped' ? 0 : 1),
      (err: unknown) => {
        log.error('stopping failed', { err });
        void running.abandon('stopping failed').finally(() => settle(1));
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!daemon) {
      if (signalled === undefined) log.info('signal during start-up: stopping once started', { signal });
      signalled = signal;
      return;
    }
    if (stopping) {
      log.error('second signal while stopping: exiting now', { signal });
      void daemon.abandon(`second signal (${signal}) while stopping`).finally(() => settle(130));
      return;
    }
    stop(daemon, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    daemon = await start();
  } catch (err) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw err;
  }
  if (signalled !== undefined) stop(daemon, signalled);
  const code = await exitCode;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
