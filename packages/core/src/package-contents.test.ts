// A third-party driver author installs @convoy/core to write against its contracts: that must
// bring no native addon and none of the engine's packages (issue 19 item 5). This packs core as
// it would be published, installs the tarball with npm into an empty directory, and looks at
// everything that arrived.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './testing/temp-dir.js';

const run = promisify(execFile);
const coreDir = path.resolve(import.meta.dirname, '..');

/** Packages that belong to the engine, the service above it, or that load native code. */
const ENGINE_PACKAGES = ['@convoy/backup-store', '@convoy/volume-service', 'lz4-napi', '@mongodb-js/zstd', 'piscina', 'node-gyp-build'];

interface Installed {
  packages: string[];
  nativeFiles: string[];
}

/** A package's own manifest (not a fixture inside it): `<name>/package.json` directly under a node_modules. */
function isPackageRoot(relative: string, name: string): boolean {
  const own = path.join(...name.split('/'), 'package.json');
  return relative === own || relative.endsWith(`${path.sep}node_modules${path.sep}${own}`);
}

/** Every installed package (by name) and every file that means native code, under node_modules. */
async function survey(nodeModules: string): Promise<Installed> {
  const found: Installed = { packages: [], nativeFiles: [] };
  for (const entry of await readdir(nodeModules, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(nodeModules, full);
    if (entry.isFile() && (entry.name.endsWith('.node') || entry.name === 'binding.gyp')) found.nativeFiles.push(relative);
    if (entry.isDirectory() && entry.name === 'prebuilds') found.nativeFiles.push(`${relative}/`);
    if (entry.isFile() && entry.name === 'package.json') {
      const manifest = JSON.parse(await readFile(full, 'utf8')) as { name?: string; gypfile?: boolean };
      if (manifest.name !== undefined && isPackageRoot(relative, manifest.name)) {
        found.packages.push(manifest.name);
        if (manifest.gypfile === true) found.nativeFiles.push(relative);
      }
    }
  }
  return found;
}

describe('@convoy/core as a third party installs it', () => {
  let installed: Installed;

  beforeAll(async () => {
    const work = await tempDir('convoy-core-pack-');
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', work], { cwd: coreDir });
    const tarball = stdout
      .trim()
      .split('\n')
      .find((line) => line.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`pnpm pack named no tarball:\n${stdout}`);
    const project = path.join(work, 'project');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'third-party-driver', version: '0.0.0', private: true }));
    // Only core's own dependencies come from the registry; scripts never run (a native addon would build in one).
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--no-package-lock', path.resolve(work, tarball)], {
      cwd: project,
    });
    installed = await survey(path.join(project, 'node_modules'));
  }, 180_000);

  it('installs @convoy/core itself', () => {
    expect(installed.packages).toContain('@convoy/core');
  });

  it('brings no native addon', () => {
    expect(installed.nativeFiles).toEqual([]);
  });

  it('brings none of the engine packages', () => {
    expect(installed.packages.filter((name) => ENGINE_PACKAGES.includes(name))).toEqual([]);
  });
});
