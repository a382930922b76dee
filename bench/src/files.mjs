import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runChecked } from './measure.mjs';

/**
 * Apparent bytes and number of regular files under `dir` (what `du -sb` counts, less the
 * directories themselves). `only` keeps the files whose name passes it.
 */
export function usage(dir, only = () => true) {
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && only(entry.name)) {
        bytes += lstatSync(p).size;
        files += 1;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/** A directory store's size as objects: every regular file is one. */
export function dirStoreUsage(dir) {
  const { bytes, files } = usage(dir);
  return { bytes, objects: files };
}

/** Reads every file under `dir` once, so a timed run starts with it in the page cache. */
export function warmTree(dir, buf) {
  const entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) if (entry.isFile()) warmFile(path.join(entry.parentPath ?? entry.path, entry.name), buf);
}

/**
 * Reads `file` once into the page cache. This VM pages out memory idle for about 60 s
 * (baselines.md §0), so every tool's input is warmed right before its timed run.
 */
export function warmFile(file, buf = Buffer.allocUnsafe(8 << 20)) {
  const fd = openSync(file, 'r');
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Saved copies of a set of directories (a repository and its cache), so every incremental
 * starts from the same base state at the same paths, as the baselines did.
 */
export class DirSnapshot {
  #dirs;
  #saveRoot;
  constructor(dirs, saveRoot) {
    this.#dirs = dirs;
    this.#saveRoot = saveRoot;
  }

  async save() {
    rmSync(this.#saveRoot, { recursive: true, force: true });
    mkdirSync(this.#saveRoot, { recursive: true });
    for (const [i, dir] of this.#dirs.entries()) {
      mkdirSync(dir, { recursive: true });
      await copyTree(dir, path.join(this.#saveRoot, String(i)));
    }
  }

  async restore() {
    for (const [i, dir] of this.#dirs.entries()) {
      rmSync(dir, { recursive: true, force: true });
      await copyTree(path.join(this.#saveRoot, String(i)), dir);
    }
  }

  discard() {
    rmSync(this.#saveRoot, { recursive: true, force: true });
  }
}

async function copyTree(from, to) {
  mkdirSync(path.dirname(to), { recursive: true });
  await runChecked('cp', ['-a', '--', from, to]);
}
