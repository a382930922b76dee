import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildRelease } from '../build-release.mjs';

/**
 * The release tarball under test: the one `pnpm release` just built when CI names it in
 * $CONVOY_RELEASE_TARBALL (built once for every test file), else one built now into `dir`.
 */
export async function releaseTarball(dir: string): Promise<string> {
  const built = process.env['CONVOY_RELEASE_TARBALL'];
  if (built) return path.resolve(built);
  return buildRelease({ outDir: dir });
}

/** Unpacks the tarball into `dir`; returns the directory holding `convoy` and its unit. */
export function unpackRelease(tarball: string, dir: string): string {
  execFileSync('tar', ['-C', dir, '-xzf', tarball]);
  const [top, ...more] = readdirSync(dir);
  if (!top || more.length > 0) throw new Error(`the release tarball must hold one directory, found ${readdirSync(dir).join(', ')}`);
  return path.join(dir, top);
}
