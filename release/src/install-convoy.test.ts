import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@convoy/test-support/tmp';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseTarball } from './release-tarball.js';

/**
 * `pnpm install-convoy DIR` (scripts/install-convoy.sh), the README's one command that puts
 * `convoy` on PATH: it installs the release executable as DIR/convoy, which then runs by name,
 * and says how to extend PATH when DIR is not on it.
 */
const execFileAsync = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/install-convoy.sh');

// At module level, where tempDir's afterAll registers (inside beforeAll it would not).
const work = await tempDir('convoy-install-');
let tarball: string;

beforeAll(async () => {
  tarball = await releaseTarball(path.join(work, 'out'));
}, 120_000);

describe('pnpm install-convoy', () => {
  it('installs the executable into DIR, where it runs by name once DIR is on PATH', async () => {
    const bin = path.join(work, 'bin');
    const { stdout } = await execFileAsync('bash', [script, bin], { env: { ...process.env, CONVOY_RELEASE_TARBALL: tarball, PATH: '/usr/bin:/bin' } });
    expect(stdout).toContain(`Installed ${bin}/convoy (`);
    expect(stdout).toContain(`${bin} is not on your PATH; add it: export PATH="${bin}:$PATH"`);
    expect((await stat(path.join(bin, 'convoy'))).mode & 0o777).toBe(0o755);
    const { stdout: version } = await execFileAsync('convoy', ['--version'], { env: { PATH: bin } });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('replaces an installed convoy and says nothing about PATH when DIR is on it', async () => {
    const bin = path.join(work, 'on-path');
    await mkdir(bin);
    const env = { ...process.env, CONVOY_RELEASE_TARBALL: tarball, PATH: `${bin}:/usr/bin:/bin` };
    await execFileAsync('bash', [script, bin], { env });
    const { stdout } = await execFileAsync('bash', [script, bin], { env });
    expect(stdout).toMatch(/^Installed .*\/convoy \(\d+\.\d+\.\d+\)\n$/);
  });
});
