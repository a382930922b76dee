import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getAsset, getRawAsset, isSea } from 'node:sea';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/**
 * The files the release executable carries beside its code and Node can only load from disk:
 * native addons (lz4, zstd), the worker scripts (piscina's and the engine's block worker) and
 * the CSI proto. They are SEA assets, listed in the asset the release build names in
 * CONVOY_RELEASE_MANIFEST (release/bundle.mjs); the first code that needs
 * one (only the daemon does) unpacks them all into a fresh private directory under $TMPDIR,
 * removed when the process exits. Worker threads find that directory through ENV.
 *
 * The release build maps `import.meta.url` and `import.meta.dirname` of the bundled code to
 * `convoy.js` in that directory, so code that finds its files beside itself (the engine's
 * block worker, the CSI proto) finds them there.
 */
const ENV = 'CONVOY_RELEASE_FILES';

/** Set by the release build (release/bundle.mjs). */
declare const CONVOY_RELEASE_MANIFEST: string;

let unpacked: string | undefined;

function filesDir(): string {
  if (unpacked) return unpacked;
  if (!isMainThread) {
    const fromParent = process.env[ENV];
    if (!fromParent) throw new Error(`a worker of the convoy executable started without $${ENV}`);
    return (unpacked = fromParent);
  }
  if (!isSea()) throw new Error('the release files exist only inside the convoy executable');
  let dir: string | undefined;
  try {
    dir = mkdtempSync(path.join(tmpdir(), 'convoy-'));
    const made = dir;
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    for (const name of JSON.parse(getAsset(CONVOY_RELEASE_MANIFEST, 'utf8')) as string[]) {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, new Uint8Array(getRawAsset(name) as ArrayBuffer), { mode: 0o600 });
    }
  } catch (err) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot unpack the convoy executable's native addons and workers into ${tmpdir()} (${(err as Error).message}): point TMPDIR at a writable directory`,
      { cause: err },
    );
  }
  process.env[ENV] = dir;
  return (unpacked = dir);
}

export interface ReleaseFiles {
  /** The file URL the bundled code's `import.meta.url` stands for. */
  readonly url: string;
  /** Its `import.meta.dirname`. */
  readonly dirname: string;
  /** A carried file's path. */
  file(name: string): string;
  /** A carried native addon's exports (what `require('x.node')` gives). */
  addon(name: string): unknown;
}

const releaseFiles: ReleaseFiles = {
  get url() {
    return pathToFileURL(path.join(filesDir(), 'convoy.js')).href;
  },
  get dirname() {
    return filesDir();
  },
  file: (name) => path.join(filesDir(), name),
  addon(name) {
    const module = { exports: {} };
    process.dlopen(module, path.join(filesDir(), name));
    return module.exports;
  },
};

declare global {
  var __convoyRelease: ReleaseFiles | undefined;
}
globalThis.__convoyRelease = releaseFiles;
