import type { ModuleImporter } from '@convoy/core';
import * as devmapper from '@convoy/driver-devmapper';
import * as vfs from '@convoy/driver-vfs';
import * as objectstoreFs from '@convoy/objectstore-fs';
import * as objectstoreS3 from '@convoy/objectstore-s3';

/**
 * The release executable's stand-in for daemon/import-package.ts: it has no node_modules, so
 * the built-in drivers and stores are bundled and looked up by package name. Anything else
 * (a `--driver-module` file) still goes to Node's import, which loads files from disk.
 */
const BUNDLED: Record<string, unknown> = {
  '@convoy/driver-devmapper': devmapper,
  '@convoy/driver-vfs': vfs,
  '@convoy/objectstore-fs': objectstoreFs,
  '@convoy/objectstore-s3': objectstoreS3,
};

export const importPackage: ModuleImporter = async (specifier) => BUNDLED[specifier] ?? import(specifier);
