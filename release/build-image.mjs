#!/usr/bin/env node
// @ts-check
/**
 * `pnpm release:image`: builds the image the Kubernetes DaemonSet runs, `convoy:<version>`, from
 * the release tarball with `docker build` (against $DOCKER_HOST when set): FROM scratch plus the
 * root filesystem the managed Docker plugin runs too (rootfs.mjs), so no base image is pulled.
 * The build context (release/out/image/) holds that rootfs alone; the Dockerfile is
 * deploy/kubernetes/Dockerfile.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { releaseName, releaseTarballFor } from './build-release.mjs';
import { buildRootfs } from './rootfs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DOCKERFILE = path.resolve(here, '..', 'deploy/kubernetes/Dockerfile');
const execFileAsync = promisify(execFile);

/** The tag the image gets: the name kustomization.yaml's `images:` maps, at the release's version. */
export function imageTag() {
  return `convoy:${releaseName().version}`;
}

/**
 * Makes the build context in `contextDir` (emptied first) from the tarball and builds the image.
 * @param {{ tarball: string, contextDir: string, tag?: string, env?: NodeJS.ProcessEnv }} opts env: the docker CLI's (DOCKER_HOST)
 * @returns {Promise<{ tag: string, contextBytes: number }>}
 */
export async function buildImage({ tarball, contextDir, tag = imageTag(), env = process.env }) {
  rmSync(contextDir, { recursive: true, force: true });
  buildRootfs({ tarball, rootfs: path.join(contextDir, 'rootfs') });
  await execFileAsync('docker', ['build', '--file', DOCKERFILE, '--tag', tag, contextDir], { env, maxBuffer: 16 * 1024 * 1024 });
  return { tag, contextBytes: treeBytes(contextDir) };
}

/** @param {string} dir @returns {number} the bytes of the files under `dir` (a symlink counts as its own size) */
function treeBytes(dir) {
  return readdirSync(dir, { recursive: true }).reduce((sum, name) => sum + lstatSync(path.join(dir, String(name))).size, 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = path.join(here, 'out');
  const tarball = await releaseTarballFor(process.argv[2], out);
  const { tag, contextBytes } = await buildImage({ tarball, contextDir: path.join(out, 'image') });
  console.log(
    `${tag} from ${path.relative(process.cwd(), tarball)} (context ${(contextBytes / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s); ` +
      `then: docker tag ${tag} REGISTRY/convoy:${releaseName().version} && docker push REGISTRY/convoy:${releaseName().version}`,
  );
}
