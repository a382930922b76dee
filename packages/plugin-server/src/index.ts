export type * from './api/go-types.js';
export { API_PREFIX, ROUTES, type RouteName, type RouteRequest, type RouteResponse } from './api/route-table.js';
export { ConvoyClient } from './client.js';
export { MOUNT_REFS_FILE } from './mount-refs.js';
export { DEFAULT_BODY_LIMIT, type PluginServer, type PluginServerOptions, startPluginServer } from './server.js';
export { resolveGroupId } from './unix-group.js';
