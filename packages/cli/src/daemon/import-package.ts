import type { ModuleImporter } from '@convoy/core';

/**
 * How the daemon loads driver and store packages by name (`vfs` → @convoy/driver-vfs): Node's
 * own import, resolving from this package. The release executable has no node_modules, so its
 * build puts release/bundled-packages.ts in this module's place.
 */
export const importPackage: ModuleImporter = (specifier) => import(specifier);
