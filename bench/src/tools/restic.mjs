import path from 'node:path';
import { dirStoreUsage } from '../files.mjs';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../s3-server.mjs';

/**
 * restic (from apt) backing up the image file, into a local repository or into the bench's
 * s3rver over TLS (directly, or through the latency proxy: `s3.httpsEndpoint` says where). Default settings: repository format 2, compression `auto`, both cores.
 */
export function restic({ store: storeName, root, sourceDir, s3 }) {
  const repoDir = path.join(root, 'repo');
  const cacheDir = path.join(root, 'cache');
  const repo = s3 ? `s3:${s3.httpsEndpoint}/${s3.bucket}/restic` : repoDir;
  const env = {
    ...process.env,
    RESTIC_PASSWORD: 'convoy-bench',
    RESTIC_CACHE_DIR: cacheDir,
    ...(s3 && { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY }),
  };
  const restic = (...args) => ({ argv: ['restic', ...(s3 ? ['--cacert', s3.certFile] : []), '-r', repo, ...args], env });
  return {
    name: 'restic',
    store: storeName,
    stateDirs: s3 ? [s3.bucketDir, cacheDir] : [repoDir, cacheDir],
    init: () => restic('init', '-q'),
    backup: () => restic('backup', '-q', '--host', 'bench', sourceDir),
    restore: (_label, target) => restic('restore', 'latest', '-q', '--target', target),
    restoredFile: (target, fileName) => path.join(target, sourceDir, fileName),
    storeUsage: () => (s3 ? s3.bucketUsage() : dirStoreUsage(repoDir)),
  };
}
