import os from 'node:os';
import path from 'node:path';

const isRoot = () => process.getuid?.() === 0;

/** Convoy's root as root; a per-user directory otherwise, so a non-root user can run a daemon. */
export function defaultRoot(): string {
  if (isRoot()) return '/var/lib/rancher/convoy';
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'convoy');
}

/** Where the daemon listens and the client connects unless told otherwise. */
export function defaultSocket(root = defaultRoot()): string {
  return isRoot() ? '/var/run/convoy/convoy.sock' : path.join(root, 'convoy.sock');
}

export const DEFAULT_DOCKER_PLUGIN_DIR = '/etc/docker/plugins';
export const DEFAULT_PLUGIN_NAME = 'convoy';
/** Docker Engine's own socket: where consistent snapshots find containers and their hooks. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** A container hook's time limit when its container sets no io.convoy.hooks.timeout label. */
export const DEFAULT_HOOK_TIMEOUT = '30s';
