// @ts-check
/**
 * The root filesystem Convoy runs in when it is not installed on a host: the managed Docker
 * plugin's rootfs (build-docker-plugin.mjs) and the Kubernetes image's (build-image.mjs) are
 * both made here, from the release tarball and this machine (no image is pulled): the `convoy`
 * executable and the glibc libraries it links; the commands the drivers run (cp and sync for
 * vfs; dmsetup, the thin-provisioning tools, mkfs, mount and friends for devicemapper) with
 * their libraries, each one this machine has; and busybox-static for a shell and any command
 * missing here.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BUSYBOX = '/bin/busybox';
/** Where `convoy` and the drivers' commands go; PATH (ROOTFS_PATH) looks here first. */
const BIN = '/usr/bin';
/** The PATH a process in the root filesystem runs with: the copied commands, then busybox's applets. */
export const ROOTFS_PATH = `${BIN}:/bin`;
/** The commands the drivers and the daemon run (core's CommandRunner); each is copied when this machine has it. */
const DRIVER_COMMANDS = [
  'cp',
  'sync',
  'mount',
  'umount',
  'losetup',
  'blkid',
  'dmsetup',
  'thin_delta',
  'thin_ls',
  'thin_check',
  'thin_repair',
  'mkfs.ext4',
  'mkfs.xfs',
  'resize2fs',
  'xfs_growfs',
];
/** glibc's runtime libraries (copyGlibc). */
const GLIBC = [
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'librt.so.1',
  'libpthread.so.0',
  'libresolv.so.2',
  'libanl.so.1',
  'libutil.so.1',
  'libnss_files.so.2',
  'libnss_dns.so.2',
];
const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Makes `rootfs` (which must not exist yet) from the release tarball: the directories a
 * container needs (/proc, /sys, /dev, /etc, a sticky /tmp where the executable unpacks its
 * helper files), the programs above, and `dirs` besides.
 * @param {{ tarball: string, rootfs: string, dirs?: string[] }} opts dirs: more absolute directories to make
 * @returns {string} rootfs
 */
export function buildRootfs({ tarball, rootfs, dirs = [] }) {
  for (const dir of ['/proc', '/sys', '/dev', '/etc', BIN, '/bin', ...dirs]) mkdirSync(path.join(rootfs, dir), { recursive: true });
  mkdirSync(path.join(rootfs, 'tmp'));
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  const unpacked = mkdtempSync(path.join(tmpdir(), 'convoy-rootfs-'));
  try {
    execFileSync('tar', ['-C', unpacked, '-xzf', tarball]);
    const [top] = readdirSync(unpacked);
    if (!top) throw new Error(`${tarball} is empty`);
    copyProgram(path.join(unpacked, top, 'convoy'), path.join(rootfs, BIN, 'convoy'), rootfs);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
  copyGlibc(rootfs);
  for (const command of DRIVER_COMMANDS) {
    const found = SEARCH.map((dir) => path.join(dir, command)).find((file) => existsSync(file));
    if (found) copyProgram(found, path.join(rootfs, BIN, command), rootfs);
  }
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  for (const applet of execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n')) {
    if (applet && applet !== 'busybox' && !existsSync(path.join(rootfs, BIN, applet))) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  }
  return rootfs;
}

/**
 * Copies an executable (its content, under the name it is run by: multi-call programs like
 * thin_delta and mkfs.ext4 look at their name) and every shared library it loads, at the paths
 * the dynamic loader looks in. A script or a static program brings no libraries.
 * @param {string} source @param {string} target @param {string} rootfs
 */
function copyProgram(source, target, rootfs) {
  copyFileSync(realpathSync(source), target);
  chmodSync(target, 0o755);
  for (const lib of sharedLibraries(source)) {
    const inRoot = path.join(rootfs, lib);
    if (existsSync(inRoot)) continue;
    mkdirSync(path.dirname(inRoot), { recursive: true });
    copyFileSync(realpathSync(lib), inRoot);
  }
}

/**
 * All of glibc's runtime libraries beside the libc the executable links: the native addons it
 * carries inside itself load some the executable does not (librt), and name lookups need others.
 * @param {string} rootfs
 */
function copyGlibc(rootfs) {
  const libc = sharedLibraries(path.join(rootfs, BIN, 'convoy')).find((lib) => path.basename(lib) === 'libc.so.6');
  if (!libc) throw new Error('the convoy executable does not link glibc (libc.so.6)');
  for (const name of GLIBC) {
    const lib = path.join(path.dirname(libc), name);
    const inRoot = path.join(rootfs, lib);
    if (existsSync(lib) && !existsSync(inRoot)) copyFileSync(realpathSync(lib), inRoot);
  }
}

/** @param {string} program @returns {string[]} the absolute paths `ldd` lists (none for a static program or a script) */
function sharedLibraries(program) {
  let listing;
  try {
    listing = execFileSync('ldd', [program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return [...listing.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => /** @type {string} */ (m[1]));
}
