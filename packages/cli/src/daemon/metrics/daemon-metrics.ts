/** Everything `--metrics-listen` needs, in one module the daemon imports only when asked. */
import { ConvoyMetrics } from './convoy-metrics.js';

export { CountingStoreRegistry } from './counting-stores.js';
export { instrumentService, instrumentStoreOperations } from './instrument-service.js';
export { startMetricsServer } from './metrics-server.js';

export function createDaemonMetrics(): ConvoyMetrics {
  return new ConvoyMetrics();
}
