export { startCsiServer, CSI_PLUGIN_NAME, CSI_TOPOLOGY_KEY, DEFAULT_KUBELET_DIR, type CsiServer, type CsiServerOptions } from './server.js';
export { parseBackupTarget, parseSnapshotParameters, parseVolumeParameters, type BackupTarget } from './parameters.js';
export { loadCsiServices, CSI_PROTO_PATH, CSI_LOADER_OPTIONS } from './proto.js';
