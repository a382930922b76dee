export { startPluginServer, DEFAULT_BODY_LIMIT, type PluginServer, type PluginServerOptions } from './server.js';
export { ConvoyClient } from './client.js';
export { API_PREFIX, ROUTES, type RouteName, type RouteRequest, type RouteResponse } from './api/route-table.js';
export type * from './api/go-types.js';
export { resolveGroupId } from './unix-group.js';
export { MOUNT_REFS_FILE } from './mount-refs.js';
