// What tests of CSI need from this package: a client for every service, on the same vendored csi.proto.

// Whether a path is a mount point, as the node service sees it: tests check nothing was mounted where it must not be.
export { isMountPoint } from '../mounts.js';
export * from './csi-client.js';
