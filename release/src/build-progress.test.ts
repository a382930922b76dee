import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * scripts/build-progress.sh, the build step of `pnpm demo` (the README's quick start): a line as
 * each package starts and finishes instead of minutes of silence, the build's own output only
 * when it fails. Run on a real `pnpm -r run build` of two small packages.
 */
const execFileAsync = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const script = path.join(repo, 'scripts/build-progress.sh');

describe('the demo build progress', () => {
  it('shows each package starting and done, and nothing of the build tool', async () => {
    const { stdout, stderr } = await execFileAsync(
      'bash',
      [script, 'pnpm', '-r', '--filter', '@convoy/objectstore-fs', '--filter', '@convoy/driver-vfs', 'run', 'build'],
      { cwd: repo },
    );
    const lines = stdout.trimEnd().split('\n');
    for (const pkg of ['packages/objectstore-fs', 'packages/driver-vfs']) {
      const started = lines.findIndex((l) => new RegExp(`^ +\\d+s  building ${pkg}$`).test(l));
      const done = lines.findIndex((l) => new RegExp(`^ +\\d+s  built    ${pkg}$`).test(l));
      expect(started, pkg).toBeGreaterThanOrEqual(0);
      expect(done, pkg).toBeGreaterThan(started);
    }
    expect(lines.at(-1)).toMatch(/^ +\d+s {2}all packages built$/);
    expect(lines).toHaveLength(5);
    expect(stderr).toBe('');
  });

  it('shows the build output and fails with its exit code when the build fails', async () => {
    const failing = ['sh', '-c', 'echo "packages/core build$ tsup"; echo "src/index.ts(3,1): error TS1005"; exit 3'];
    const result = await execFileAsync('bash', [script, ...failing], { cwd: repo }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/building packages\/core\n$/);
    expect(result.stderr).toContain('src/index.ts(3,1): error TS1005');
    expect(result.stderr).toContain('pnpm build failed (exit 3)');
  });
});
