#!/usr/bin/env node
// @ts-check
/**
 * `pnpm release`: builds release/out/convoy-<version>-linux-<arch>.tar.gz, holding one `convoy`
 * executable (a Node single-executable application: this machine's node with the bundled CLI,
 * daemon, drivers and stores injected, plus the files Node only loads from disk, carried as SEA
 * assets; see packages/cli/src/release/release-files.ts) and the systemd unit. It runs where
 * there is no Node, no pnpm and no repository. Built from TypeScript sources: no `pnpm build`
 * first.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleReleaseCode } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
/** The fuse Node's SEA support looks for (node's docs, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Release names use Go's and Docker's architecture names, as Go Convoy's did. */
const ARCH = { x64: 'amd64', arm64: 'arm64' };

/** The tarball's name for this machine: convoy-<version>-linux-<arch>. */
export function releaseName() {
  const { version } = JSON.parse(readFileSync(path.join(repo, 'packages/cli/package.json'), 'utf8'));
  const arch = ARCH[/** @type {keyof typeof ARCH} */ (process.arch)];
  if (process.platform !== 'linux' || !arch) throw new Error(`releases are built on Linux x64 or arm64, not ${process.platform} ${process.arch}`);
  return { version, name: `convoy-${version}-linux-${arch}` };
}

/**
 * Builds the tarball into `outDir` and returns its path.
 * @param {{ outDir?: string, node?: string }} [opts] node: the Node binary to start from (this one).
 */
export async function buildRelease(opts = {}) {
  const outDir = opts.outDir ?? path.join(here, 'out');
  const { version, name } = releaseName();
  const work = mkdtempSync(path.join(tmpdir(), 'convoy-release-'));
  try {
    const code = path.join(work, 'code');
    const assets = await bundleReleaseCode(code, version);
    const seaConfig = path.join(work, 'sea-config.json');
    const blob = path.join(work, 'sea.blob');
    writeFileSync(
      seaConfig,
      JSON.stringify({
        main: path.join(code, 'convoy.cjs'),
        output: blob,
        disableExperimentalSEAWarning: true,
        // A V8 startup snapshot of the code already loaded (yargs, the command tree, the client,
        // the daemon's modules): a command starts from sea-main.ts's main without compiling or
        // evaluating any of it. It replaces useCodeCache, which Node ignores beside it.
        useSnapshot: true,
        assets: Object.fromEntries(assets.map((asset) => [asset, path.join(code, asset)])),
      }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'pipe' });
    const dir = path.join(work, name);
    mkdirSync(dir);
    const exe = path.join(dir, 'convoy');
    copyFileSync(opts.node ?? process.execPath, exe);
    chmodSync(exe, 0o755);
    const postject = path.join(here, 'node_modules/postject/dist/cli.js');
    execFileSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
    copyFileSync(path.join(repo, 'deploy/systemd/convoy.service'), path.join(dir, 'convoy.service'));
    mkdirSync(outDir, { recursive: true });
    const tarball = path.join(outDir, `${name}.tar.gz`);
    execFileSync('tar', ['-C', work, '--owner=0', '--group=0', '-czf', tarball, name]);
    return tarball;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The tarball the scripts built from a release work from (the plugin, the image): `given` on
 * their command line, else the one already in `outDir`, else one built now.
 * @param {string | undefined} given @param {string} outDir
 */
export async function releaseTarballFor(given, outDir) {
  if (given) return path.resolve(given);
  const built = path.join(outDir, `${releaseName().name}.tar.gz`);
  return existsSync(built) ? built : buildRelease({ outDir });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The path alone on stdout, for scripts (scripts/install-convoy.sh); the time for people on stderr.
  const started = Date.now();
  const tarball = await buildRelease();
  console.log(tarball);
  console.error(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
