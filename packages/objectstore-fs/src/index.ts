import { ConvoyError, checkDeclaredOptions, defineObjectStore, type ObjectStoreOptions } from '@convoy/core';
import { FsObjectStore } from './fs-store.js';
import { resolveStoreDirectory } from './store-url.js';

export { FsObjectStore } from './fs-store.js';

/** Opens `vfs:///abs/path`; the directory must exist. */
export async function openFsObjectStore(url: URL, opts: ObjectStoreOptions = {}): Promise<FsObjectStore> {
  if (opts.endpoint) refuseEndpoint(opts.endpoint);
  checkFsStoreOptions(opts.options ?? {});
  const dir = await resolveStoreDirectory(url);
  return new FsObjectStore(dir, `vfs://${dir}`);
}

function checkFsStoreOptions(options: Record<string, string>): void {
  checkDeclaredOptions(options, [], 'a vfs:// store');
}

/** A directory store talks to no server: an endpoint is a mistake (meant for an s3:// URL), not ignored. */
function refuseEndpoint(endpoint: string): never {
  throw new ConvoyError('INVALID_ARGUMENT', `an endpoint (${endpoint}) only applies to s3:// stores, not vfs:// ones`);
}

export default defineObjectStore({
  scheme: 'vfs',
  description: 'Backup store in a directory: vfs:///abs/path (local disk or an NFS mount). Atomic writes (temp file, fsync, rename).',
  open: openFsObjectStore,
  checkOptions: checkFsStoreOptions,
  checkEndpoint: refuseEndpoint,
});
