import type { Logger } from '@convoy/core';

/**
 * Resolves on the first SIGINT or SIGTERM so the daemon can stop cleanly. A second signal
 * while it is stopping exits at once, for an operator who cannot wait for in-flight work.
 */
export function untilStopSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info('stopping', { signal });
      const force = (again: NodeJS.Signals) => {
        log.error('second signal while stopping: exiting now', { signal: again });
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
