import { defineDriver } from '@convoy/core';
import { DevmapperDriver } from './driver.js';
import { OPTION_SPECS } from './options.js';

export { DevmapperDriver } from './driver.js';
export { OPTION_SPECS } from './options.js';

export default defineDriver({
  name: 'devicemapper',
  description:
    'Volumes are thin devices in a device-mapper thin pool: instant snapshots, incremental backups of only the blocks the pool reports changed. ' +
    'A reference-only delete (what Docker\'s "volume rm" sends) keeps the thin device and its snapshots; creating the same name again brings them back. ' +
    '"convoy delete" removes the volume for good.',
  options: OPTION_SPECS,
  create: (ctx) => DevmapperDriver.start(ctx),
});
