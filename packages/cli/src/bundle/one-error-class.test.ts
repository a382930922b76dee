import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';

/**
 * The package's built bin (`pnpm build`'s dist) has one ConvoyError class: the client's part is
 * bundled, the daemon's chunks load @convoy/core from its package, and an error crossing from
 * one to the other must stay a ConvoyError (`instanceof`), or its code turns into INTERNAL.
 */
const dist = path.resolve(import.meta.dirname, '../../dist');
const bin = path.join(dist, 'index.js');
const execFileAsync = promisify(execFile);
const dir = await tempDir('convoy-one-error-');

describe('the built CLI (dist)', () => {
  it('is built', () => {
    expect(existsSync(bin), `${bin} is missing: run \`pnpm build\` first`).toBe(true);
  });

  it('defines ConvoyError nowhere in its own files: it takes the class from @convoy/core', async () => {
    const files = (await readdir(dist)).filter((f) => f.endsWith('.js'));
    expect(files).toContain('index.js');
    for (const file of files) expect(await readFile(path.join(dist, file), 'utf8'), file).not.toMatch(/name\s*=\s*"ConvoyError"/);
  });

  it("keeps the daemon's error code when the daemon refuses to start (--json)", async () => {
    const result = await execFileAsync(process.execPath, [
      bin,
      '--json',
      'daemon',
      '--root',
      path.join(dir, 'root'),
      '--drivers',
      'nosuch',
      '--socket',
      path.join(dir, 'c.sock'),
      '--docker-plugin-dir',
      dir,
    ]).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'UNKNOWN_DRIVER', details: { tried: ['@convoy/driver-nosuch', 'convoy-driver-nosuch'] } });
  });
});
