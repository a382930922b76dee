import http from 'node:http';
import path from 'node:path';
import { tempDir } from '@convoy/test-support/tmp';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerHookRunner } from './container-hooks.js';
import { DockerEngine } from './docker-engine.js';

/**
 * Without a usable Docker the snapshot is taken exactly as before, and the report says why it
 * is only crash-consistent. The real client talks to a missing socket and to a server that
 * answers as a broken Docker would (the fault is injected; the hooks themselves run through
 * real dockerd in packages/cli/src/consistent-snapshot.e2e.test.ts).
 */
const dir = await tempDir('convoy-app-hooks-');
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function fakeDocker(name: string, handler: http.RequestListener): Promise<string> {
  const socketPath = path.join(dir, name);
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

const defaults = { timeoutMs: 30_000, onError: 'fail' } as const;
const takeCounting = () => {
  const taken = { count: 0 };
  return { taken, take: async () => ++taken.count };
};

describe('ContainerHookRunner without a usable Docker', () => {
  it('no socket: takes the snapshot and says Docker is not reachable there', async () => {
    const socketPath = path.join(dir, 'missing.sock');
    const { taken, take } = takeCounting();
    const { value, report } = await new ContainerHookRunner({ engine: new DockerEngine(socketPath), defaults }).around({ volumeName: 'v' }, take);
    expect(value).toBe(1);
    expect(taken.count).toBe(1);
    expect(report.mode).toBe('crash-consistent');
    expect(report.containers).toEqual([]);
    expect(report.notes[0]).toContain(`Docker is not reachable at ${socketPath}`);
    expect(report.notes[0]).toContain('no hooks ran');
  });

  it('a Docker that answers 500 or non-JSON: the same, with its message', async () => {
    for (const [name, answer] of [
      ['500.sock', (res: http.ServerResponse) => res.writeHead(500).end('{"message":"daemon on fire"}')],
      ['garbage.sock', (res: http.ServerResponse) => res.writeHead(200).end('<html>')],
    ] as const) {
      const socketPath = await fakeDocker(name, (_req, res) => answer(res));
      const { taken, take } = takeCounting();
      const { report } = await new ContainerHookRunner({ engine: new DockerEngine(socketPath), defaults }).around({ volumeName: 'v' }, take);
      expect(taken.count).toBe(1);
      expect(report.mode).toBe('crash-consistent');
      expect(report.notes[0]).toMatch(name === '500.sock' ? /daemon on fire/ : /not JSON/);
    }
  });

  it("containers mounting other volumes or another driver's volume of that name take no part", async () => {
    const listing = [
      { Id: 'a'.repeat(64), Names: ['/other'], Labels: { 'io.convoy.hooks.pre-snapshot': 'false' }, Mounts: [{ Type: 'volume', Name: 'w', Driver: 'convoy' }] },
      { Id: 'b'.repeat(64), Names: ['/local'], Labels: { 'io.convoy.hooks.pre-snapshot': 'false' }, Mounts: [{ Type: 'volume', Name: 'v', Driver: 'local' }] },
      { Id: 'c'.repeat(64), Names: ['/bind'], Labels: { 'io.convoy.hooks.pre-snapshot': 'false' }, Mounts: [{ Type: 'bind', Source: '/srv/v-other' }] },
    ];
    const socketPath = await fakeDocker('list.sock', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing)));
    const { taken, take } = takeCounting();
    const runner = new ContainerHookRunner({ engine: new DockerEngine(socketPath), defaults, pluginNames: ['convoy'] });
    const { report } = await runner.around({ volumeName: 'v', mountpoint: '/srv/v' }, take);
    expect(taken.count).toBe(1);
    expect(report).toEqual({
      mode: 'crash-consistent',
      containers: [],
      notes: ['no running container that mounts the volume declares hooks; the snapshot is crash-consistent'],
    });
  });

  it('malformed hook labels on a container that mounts the volume refuse the snapshot before it is taken', async () => {
    const listing = [
      {
        Id: 'd'.repeat(64),
        Names: ['/db'],
        Labels: { 'io.convoy.hooks.pre-snapshot': "sh -c 'unterminated" },
        Mounts: [{ Type: 'bind', Source: '/srv/v/sub' }],
      },
    ];
    const socketPath = await fakeDocker('bad.sock', (_req, res) => res.writeHead(200).end(JSON.stringify(listing)));
    const { taken, take } = takeCounting();
    await expect(
      new ContainerHookRunner({ engine: new DockerEngine(socketPath), defaults }).around({ volumeName: 'v', mountpoint: '/srv/v' }, take),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(
        "container db mounts volume v but its hook labels are malformed: label io.convoy.hooks.pre-snapshot has an unterminated ' quote",
      ),
    });
    expect(taken.count).toBe(0);
  });
});
