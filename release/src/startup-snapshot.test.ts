import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@convoy/test-support/tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseTarball, unpackRelease } from './release-tarball.js';

/**
 * The release executable starts its client commands from a V8 startup snapshot taken after a
 * warm-up run (packages/cli/src/release/warm-up.ts). Nothing of that run may reach a real one:
 * every run sends its own operation id (a random-number buffer filled at build time would make
 * them all the same), and each prints its own answer. A bare socket server stands in for the
 * daemon and records what each run sent.
 */
const execFileAsync = promisify(execFile);
const work = await tempDir('convoy-release-snapshot-');
const socket = path.join(work, 'fake-daemon.sock');
const operationIds: string[] = [];
let bin: string;
let served = 0;

const server = net.createServer((conn) => {
  let head = '';
  conn.on('data', (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    operationIds.push(/^x-convoy-operation: (.*)$/im.exec(head)?.[1]?.trim() ?? 'none');
    const body = JSON.stringify({ [`vol${++served}`]: { Name: `vol${served}` } });
    conn.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  });
});

beforeAll(async () => {
  const tarball = await releaseTarball(path.join(work, 'out'));
  await mkdir(path.join(work, 'unpacked'));
  bin = path.join(unpackRelease(tarball, path.join(work, 'unpacked')), 'convoy');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
}, 120_000);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('client commands from the startup snapshot', () => {
  it('send their own operation id and print their own answer, run after run', async () => {
    const printed: string[] = [];
    for (let run = 0; run < 3; run++) {
      const { stdout } = await execFileAsync(bin, ['--socket', socket, 'list'], { env: { PATH: '/nonexistent', HOME: work, TMPDIR: work } });
      printed.push(Object.keys(JSON.parse(stdout) as object).join());
    }
    expect(printed).toEqual(['vol1', 'vol2', 'vol3']);
    expect(operationIds).toHaveLength(3);
    for (const id of operationIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(operationIds).size).toBe(3);
    expect(operationIds).not.toContain('00000000-0000-4000-8000-000000000000');
  });
});
