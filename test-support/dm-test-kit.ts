// The device-mapper test kit (a trial thin pool on loop files), for guest tests outside the driver's package.
export * from '../packages/driver-devmapper/test/dm-test-kit.js';
