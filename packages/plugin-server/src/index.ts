export { startPluginServer, DEFAULT_BODY_LIMIT, type PluginServer, type PluginServerOptions } from './server.js';
export { ConvoyClient } from './client.js';
export { API_PREFIX, API_ROUTES } from './api-routes.js';
export { resolveGroupId } from './unix-group.js';
export { MOUNT_REFS_FILE } from './mount-refs.js';
