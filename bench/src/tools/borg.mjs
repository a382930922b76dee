import path from 'node:path';
import { dirStoreUsage } from '../files.mjs';

/** borg (from apt) backing up the image file into a local repository (borg has no S3 back end). */
export function borg({ root, sourceDir }) {
  const repo = path.join(root, 'repo');
  const baseDir = path.join(root, 'base');
  const env = {
    ...process.env,
    BORG_BASE_DIR: baseDir,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  return {
    name: 'borg',
    store: 'local',
    stateDirs: [repo, baseDir],
    // `-e none`: no encryption and so no key derivation; create's default compression is lz4.
    init: () => ({ argv: ['borg', 'init', '-e', 'none', repo], env }),
    backup: (label) => ({ argv: ['borg', 'create', `${repo}::${label}`, sourceDir], env }),
    restore: (label, target) => ({ argv: ['borg', 'extract', `${repo}::${label}`], env, cwd: target }),
    restoredFile: (target, fileName) => path.join(target, sourceDir, fileName),
    storeUsage: () => dirStoreUsage(repo),
  };
}
