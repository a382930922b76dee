import type { Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureRealParents, lstatOrMissing, makeRealDirectory, openRealFile, type RefusePath } from '@convoy/core';
import { invalidArgument } from './status.js';

/**
 * Staging and target paths come from the kubelet, always under its directory
 * (/var/lib/kubelet/plugins/... and /var/lib/kubelet/pods/...). Anything else (a relative
 * path, `..`, /etc) is refused before a mount can land there. The text check is not enough: a
 * symlink inside the kubelet directory leads anywhere, so every node call then resolves its
 * path on disk, component by component (core's paths-on-disk, which restore uses too), and
 * never mounts over, creates, opens or removes anything through a link. The check runs right
 * before each action, as restore's does; a link swapped in between by someone who can write to
 * the kubelet directory (root, or the kubelet itself) is not caught, and cannot be with
 * mount(8), which resolves its target path again.
 */
export function requireKubeletPath(kubeletDir: string, value: string | undefined | null, field: string): string {
  if (!value) throw invalidArgument(`${field} is required`);
  if (!path.isAbsolute(value) || value.includes('\0') || path.normalize(value) !== value.replace(/\/+$/, '')) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} must be an absolute, normalised path`);
  }
  const normalized = path.normalize(value).replace(/\/+$/, '');
  if (!normalized.startsWith(kubeletDir.replace(/\/+$/, '') + '/')) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} is outside the kubelet directory ${kubeletDir} (see --csi-kubelet-dir)`);
  }
  return normalized;
}

/** A path `requireKubeletPath` accepted, with where it lies in the kubelet directory. */
interface OnDisk {
  kubeletDir: string;
  abs: string;
  field: string;
}

function relativeOf(at: OnDisk): string {
  return path.relative(at.kubeletDir, at.abs);
}

function refuser(at: OnDisk): RefusePath {
  return (problem) => invalidArgument(`${at.field} ${JSON.stringify(at.abs)} ${problem}; Convoy follows no link inside the kubelet directory ${at.kubeletDir}`);
}

/** Refuses `abs` itself as a symlink (parents are checked by the callers). */
function requireNoLink(at: OnDisk, stats: Stats | undefined): Stats | undefined {
  if (stats?.isSymbolicLink()) throw refuser(at)('is a symlink');
  return stats;
}

/** The directory at `abs`, created (with its parents) if missing; every component a real directory. */
export async function prepareDirectory(kubeletDir: string, abs: string, field: string): Promise<void> {
  const at = { kubeletDir, abs, field };
  await mkdir(kubeletDir, { recursive: true });
  await ensureRealParents(kubeletDir, relativeOf(at), refuser(at), { create: true });
  await makeRealDirectory(abs, refuser(at), 0o750);
}

/** The regular file at `abs` (a block volume's target), created if missing, never through a link. */
export async function prepareFile(kubeletDir: string, abs: string, field: string): Promise<void> {
  const at = { kubeletDir, abs, field };
  await mkdir(kubeletDir, { recursive: true });
  await ensureRealParents(kubeletDir, relativeOf(at), refuser(at), { create: true });
  await (await openRealFile(abs, refuser(at))).close();
}

/**
 * What is at `abs` (lstat), or undefined when it or a parent is missing; refused when any
 * component, `abs` included, is a symlink or a parent is not a directory.
 */
export async function existingOnDisk(kubeletDir: string, abs: string, field: string): Promise<Stats | undefined> {
  const at = { kubeletDir, abs, field };
  if (!(await ensureRealParents(kubeletDir, relativeOf(at), refuser(at), { create: false, missingOk: true }))) return undefined;
  return requireNoLink(at, await lstatOrMissing(abs));
}
