#!/usr/bin/env node
// @ts-check
/**
 * `pnpm release:docker-plugin`: turns the release tarball into the input of
 * `docker plugin create NAME DIR` (release/out/docker-plugin/: config.json and rootfs/), Convoy
 * as a managed Docker plugin. Its root filesystem is rootfs.mjs's, the one the Kubernetes image
 * runs too (nothing is pulled).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseTarballFor } from './build-release.mjs';
import { buildRootfs, ROOTFS_PATH } from './rootfs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Under Docker's propagated mount: volumes (and their mounts) show on the host from here. */
const DATA = '/var/lib/convoy';

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
      { name: 'PATH', description: 'where the daemon finds the commands its drivers run', value: ROOTFS_PATH },
      { name: 'TMPDIR', description: 'where the executable unpacks its helper files', value: '/tmp' },
      ...['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'].map((name) => ({
        name,
        description: 'for S3 backup stores',
        settable: ['value'],
        value: '',
      })),
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
  buildRootfs({ tarball, rootfs: path.join(outDir, 'rootfs'), dirs: ['/run/docker/plugins', DATA] });
  writeFileSync(path.join(outDir, 'config.json'), `${JSON.stringify(pluginConfig(), null, 2)}\n`);
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = path.join(here, 'out');
  const tarball = await releaseTarballFor(process.argv[2], out);
  const dir = buildDockerPlugin({ tarball, outDir: path.join(out, 'docker-plugin') });
  console.log(
    `${path.relative(process.cwd(), dir)} from ${path.relative(process.cwd(), tarball)} (${((Date.now() - started) / 1000).toFixed(1)} s); then: docker plugin create convoy ${path.relative(process.cwd(), dir)}`,
  );
}
