import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConvoyError } from '@convoy/core';

/**
 * `vfs:///abs/path` → `/abs/path`. The host must be empty (Convoy's rule: the path is local, or
 * an NFS share mounted at the same path on every host) and the directory must exist, so a
 * mistyped or unmounted path fails here instead of filling the wrong disk.
 */
export async function resolveStoreDirectory(url: URL): Promise<string> {
  const shown = JSON.stringify(url.href);
  if (url.protocol !== 'vfs:') throw new ConvoyError('INVALID_ARGUMENT', `${shown} is not a vfs:// URL`);
  if (url.host !== '' || url.username !== '' || url.password !== '') {
    throw new ConvoyError('INVALID_ARGUMENT', `${shown} names a host; write vfs:///abs/path (three slashes: the path is on this host or an NFS mount)`);
  }
  if (url.search !== '' || url.hash !== '') throw new ConvoyError('INVALID_ARGUMENT', `${shown} has a query or fragment; a store URL is vfs:///abs/path`);
  let dir: string;
  try {
    dir = decodeURIComponent(url.pathname);
  } catch {
    throw new ConvoyError('INVALID_ARGUMENT', `${shown} has a malformed %-escape in its path`);
  }
  if (dir.includes('\0') || !path.isAbsolute(dir)) throw new ConvoyError('INVALID_ARGUMENT', `${shown} does not name an absolute path`);
  dir = path.resolve(dir);
  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConvoyError('NOT_FOUND', `backup store directory ${dir} does not exist; create it (or mount the share) first`, { details: { path: dir } });
    }
    throw new ConvoyError('STORE_ERROR', `cannot reach backup store directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!isDirectory) throw new ConvoyError('INVALID_ARGUMENT', `backup store path ${dir} is not a directory`);
  return dir;
}
