// Types of rootfs.mjs (plain JavaScript, run by node alone).
export const ROOTFS_PATH: string;
export function buildRootfs(opts: { tarball: string; rootfs: string; dirs?: string[] }): string;
