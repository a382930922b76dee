#!/usr/bin/env node
// @ts-check
/**
 * `pnpm release:docker-plugin`: turns the release tarball into the input of
 * `docker plugin create NAME DIR` (release/out/docker-plugin/: config.json and rootfs/), Convoy
 * as a managed Docker plugin. The root filesystem holds only what the executable needs, taken
 * from this machine (no image is pulled): the `convoy` executable and the glibc libraries it
 * links; the commands the drivers run (cp and sync for vfs; dmsetup, the thin-provisioning
 * tools, mkfs, mount and friends for devicemapper) with their libraries, each one this machine
 * has; and busybox-static for a shell and any command missing here.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRelease, releaseName } from './build-release.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUSYBOX = '/bin/busybox';
/** Where the executable finds commands: the same PATH the plugin's environment sets. */
const BIN = '/usr/bin';
/** Under Docker's propagated mount: volumes (and their mounts) show on the host from here. */
const DATA = '/var/lib/convoy';
/** The commands the drivers and the daemon run (core's CommandRunner); each is copied when this machine has it. */
const DRIVER_COMMANDS = ['cp', 'sync', 'mount', 'umount', 'losetup', 'blkid', 'dmsetup', 'thin_delta', 'thin_ls', 'thin_check', 'thin_repair', 'mkfs.ext4', 'mkfs.xfs', 'resize2fs', 'xfs_growfs'];
/** glibc's runtime libraries (copyGlibc). */
const GLIBC = ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'librt.so.1', 'libpthread.so.0', 'libresolv.so.2', 'libanl.so.1', 'libutil.so.1', 'libnss_files.so.2', 'libnss_dns.so.2'];
const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The plugin's config.json (Docker's plugin config, v1): the volume-driver interface on
 * convoy.sock; CAP_SYS_ADMIN to mount, every device and the host's /dev for devicemapper's
 * pools and thin devices; the host network for S3 stores; `args` holds `convoy daemon`'s own
 * options (`docker plugin set NAME args="--drivers devicemapper --driver-opts dm.datadev=/dev/sdb"`),
 * and the AWS variables the S3 store reads are settable too.
 */
export function pluginConfig() {
  return {
    description: 'Convoy: thin-provisioned volumes with snapshots and incremental backups to S3 or a directory',
    documentation: 'https://github.com/rancher/convoy',
    interface: { types: ['docker.volumedriver/1.0'], socket: 'convoy.sock' },
    // The shell makes the default vfs directory, then runs the daemon with `args` appended.
    entrypoint: [
      '/bin/sh',
      '-c',
      `mkdir -p ${DATA}/volumes && exec convoy daemon --socket /run/docker/plugins/convoy.sock --root ${DATA}/state --docker-plugin-dir /run/convoy "$@"`,
      'convoy',
    ],
    args: {
      name: 'args',
      description: 'options of `convoy daemon` (drivers, driver and store options, log level, ...)',
      settable: ['value'],
      value: ['--drivers', 'vfs', '--driver-opts', `vfs.path=${DATA}/volumes`],
    },
    env: [
      { name: 'PATH', description: 'where the daemon finds the commands its drivers run', value: `${BIN}:/bin` },
      { name: 'TMPDIR', description: 'where the executable unpacks its helper files', value: '/tmp' },
      ...['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'].map((name) => ({ name, description: 'for S3 backup stores', settable: ['value'], value: '' })),
    ],
    network: { type: 'host' },
    propagatedMount: DATA,
    mounts: [{ name: 'dev', description: 'device-mapper pools and thin devices', source: '/dev', destination: '/dev', type: 'bind', options: ['rbind'] }],
    linux: { capabilities: ['CAP_SYS_ADMIN'], allowAllDevices: true },
  };
}

/**
 * Writes `docker plugin create` input into `outDir` (emptied first) from the release tarball.
 * @param {{ tarball: string, outDir: string }} opts
 */
export function buildDockerPlugin({ tarball, outDir }) {
  rmSync(outDir, { recursive: true, force: true });
  const rootfs = path.join(outDir, 'rootfs');
  for (const dir of ['proc', 'sys', 'dev', 'etc', 'run/docker/plugins', DATA.slice(1), BIN.slice(1), 'bin']) mkdirSync(path.join(rootfs, dir), { recursive: true });
  mkdirSync(path.join(rootfs, 'tmp'), { mode: 0o1777 });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  const unpacked = mkdtempSync(path.join(tmpdir(), 'convoy-plugin-'));
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
  writeFileSync(path.join(outDir, 'config.json'), `${JSON.stringify(pluginConfig(), null, 2)}\n`);
  return outDir;
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = path.join(here, 'out');
  const built = path.join(out, `${releaseName().name}.tar.gz`);
  const tarball = process.argv[2] ?? (existsSync(built) ? built : await buildRelease({ outDir: out }));
  const dir = buildDockerPlugin({ tarball, outDir: path.join(out, 'docker-plugin') });
  console.log(`${path.relative(process.cwd(), dir)} from ${path.relative(process.cwd(), tarball)} (${((Date.now() - started) / 1000).toFixed(1)} s); then: docker plugin create convoy ${path.relative(process.cwd(), dir)}`);
}
