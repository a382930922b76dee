import { driverComplianceSuite } from '@convoy/core/testing';
import { describeNeeding } from '@convoy/test-support/gate';
import { deviceMapper, MiB, testPool } from '../test/dm-test-kit.js';

describeNeeding(deviceMapper, 'devicemapper on a loop-backed thin pool', () => {
  driverComplianceSuite({
    name: 'devicemapper',
    capabilities: { snapshots: true, backup: 'delta-block', userMountpoint: true, referenceOnly: 'keeps-data', volumeSize: 64 * MiB },
    async setup() {
      const pool = await testPool();
      return { driver: await pool.start(), cleanup: () => pool.destroy() };
    },
  });
});
