export { type BackupTarget, parseBackupTarget, parseSnapshotParameters, parseVolumeParameters } from './parameters.js';
export { CSI_LOADER_OPTIONS, CSI_PROTO_PATH, loadCsiServices } from './proto.js';
export { CSI_PLUGIN_NAME, CSI_TOPOLOGY_KEY, type CsiServer, type CsiServerOptions, DEFAULT_KUBELET_DIR, startCsiServer } from './server.js';
