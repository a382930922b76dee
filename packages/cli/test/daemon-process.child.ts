/**
 * `convoy daemon` as its own process, for tests that SIGKILL it (daemon-kill.test.ts bundles
 * this file with esbuild and runs it with node). It starts the real daemon (startDaemon) with
 * the vfs driver and both backup stores linked in statically, because a bundle cannot import
 * workspace packages by name at run time. argv[2] is the JSON DaemonConfig without its logger;
 * "ready" on stdout means the socket is up.
 */

import { createJsonLogger } from '@convoy/core';
import driverVfs from '@convoy/driver-vfs';
import objectstoreFs from '@convoy/objectstore-fs';
import objectstoreS3 from '@convoy/objectstore-s3';
import { type DaemonConfig, startDaemon } from '../src/daemon/start-daemon.js';
import { serveUntilStopped } from '../src/daemon/stop-signal.js';

const linked: Record<string, unknown> = {
  '@convoy/driver-vfs': driverVfs,
  '@convoy/objectstore-fs': objectstoreFs,
  '@convoy/objectstore-s3': objectstoreS3,
};

const cfg = JSON.parse(process.argv[2]!) as Omit<DaemonConfig, 'log'>;
const log = createJsonLogger({ level: process.env.CONVOY_TEST_LOG ? 'debug' : 'error' });
// The same signal handling as `convoy daemon`, in place before start-up: a test may signal the
// moment it reads "ready".
const stopped = serveUntilStopped(async () => {
  const daemon = await startDaemon({ ...cfg, log }, async (specifier) => {
    if (specifier in linked) return { default: linked[specifier] };
    throw new Error(`module ${specifier} is not linked into the test daemon`);
  });
  process.stdout.write('ready\n');
  return daemon;
}, log);
process.exit(await stopped);
