// What tests of CSI need from this package: a client for every service, on the same vendored csi.proto.
export * from './csi-client.js';
