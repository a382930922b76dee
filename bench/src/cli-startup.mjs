// How fast a client command starts: `convoy list` against a running daemon (vfs, three volumes)
// next to `node -e 0`, for both ways a user runs it: `node packages/cli/dist/index.js` (the
// package) and the release executable (`pnpm release`'s single executable, unpacked from its
// tarball; left out, saying so, when there is none). The three alternate run by run so all see
// the same load; figures are medians of wall time and of CPU time (user + system, getrusage of
// the child through bash's `times`, to the millisecond). Issue 20's goal: each within 1.3 ×
// `node -e 0`, wall and CPU. Run alone with `node bench/cli-startup.mjs` (after `pnpm build`,
// and `pnpm release` for the executable).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { releaseName } from '../../release/build-release.mjs';

const CLI = path.resolve(import.meta.dirname, '../../packages/cli/dist/index.js');
const RELEASE_OUT = path.resolve(import.meta.dirname, '../../release/out');
export const GOAL_RATIO = 1.3;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs COMMAND (stdout discarded) under bash, which reads the clock around it and prints the
 * child's rusage (`times`, second line) in milliseconds: GNU time's 10 ms steps are a quarter of
 * `node -e 0` itself.
 */
const TIMER = 's=$EPOCHREALTIME; "$@" >/dev/null || exit $?; e=$EPOCHREALTIME; times; echo "$s $e"';

/** Wall, CPU (user + system), user and system milliseconds of one run of `command`. */
export function timedRun(command) {
  const r = spawnSync('bash', ['-c', TIMER, 'bash', ...command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  const [, children, clock] = r.stdout.trim().split('\n');
  const [user, system] = children.split(' ').map(minutesSeconds);
  const [start, end] = clock.split(' ').map(Number);
  const ms = (seconds) => Math.round(seconds * 1e4) / 10;
  return { wallMs: ms(end - start), cpuMs: ms(user + system), userMs: ms(user), systemMs: ms(system) };
}

/** bash's `times` figure, `0m0.041s`, in seconds. */
function minutesSeconds(figure) {
  const m = /^(\d+)m([\d.]+)s$/.exec(figure);
  if (!m) throw new Error(`bash's times printed ${JSON.stringify(figure)}, not NmS.SSSs`);
  return Number(m[1]) * 60 + Number(m[2]);
}

async function waitForSocket(socket, daemon) {
  for (let i = 0; i < 200; i++) {
    if (existsSync(socket)) return;
    if (daemon.exitCode !== null) throw new Error(`the convoy daemon exited with ${daemon.exitCode} before listening`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the convoy daemon did not listen on ${socket} within 10 s`);
}

/**
 * The release executable from `pnpm release`'s tarball, unpacked into `dir`; or why there is
 * none to measure.
 */
function releaseExecutable(dir) {
  const tarball = path.join(RELEASE_OUT, `${releaseName().name}.tar.gz`);
  if (!existsSync(tarball))
    return { skipped: `no release tarball at ${path.relative(process.cwd(), tarball)}: run \`pnpm release\` to measure the executable too` };
  const into = path.join(dir, 'release');
  mkdirSync(into);
  const untar = spawnSync('tar', ['-C', into, '-xzf', tarball], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${untar.stderr}`);
  const [top] = readdirSync(into);
  return { command: [path.join(into, top, 'convoy')], builtAt: statSync(tarball).mtime.toISOString() };
}

/**
 * Measures `convoy list` start-up; returns, per way of running it, medians in ms and the
 * ratios to `node -e 0`, and each sample.
 */
export async function measureCliStartup({ runs = 15, log = () => undefined } = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first`);
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-cli-startup-'));
  const socket = path.join(dir, 'convoy.sock');
  mkdirSync(path.join(dir, 'volumes'));
  const daemon = spawn(
    process.execPath,
    [
      CLI,
      'daemon',
      '--root',
      path.join(dir, 'root'),
      '--socket',
      socket,
      '--drivers',
      'vfs',
      '--driver-opts',
      `vfs.path=${path.join(dir, 'volumes')}`,
      '--docker-plugin-dir',
      path.join(dir, 'plugins'),
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  try {
    const release = releaseExecutable(dir);
    if (release.skipped) log(`CLI start-up: release executable left out: ${release.skipped}`);
    const clients = [
      { name: 'node dist/index.js', command: [process.execPath, CLI] },
      ...(release.command ? [{ name: 'release executable', command: release.command, builtAt: release.builtAt }] : []),
    ];
    await waitForSocket(socket, daemon);
    for (const name of ['bench1', 'bench2', 'bench3']) timedRun([...clients[0].command, '--socket', socket, 'create', name]);
    const nodeRun = [process.execPath, '-e', '0'];
    const listRuns = clients.map((c) => [...c.command, '--socket', socket, 'list']);
    // Warm the page cache for all before counting.
    for (const command of [nodeRun, ...listRuns]) timedRun(command);
    const node = [];
    const samples = clients.map(() => []);
    for (let i = 0; i < runs; i++) {
      node.push(timedRun(nodeRun));
      for (const [c, command] of listRuns.entries()) samples[c].push(timedRun(command));
    }
    const nodeMs = median(node.map((r) => r.wallMs));
    const nodeCpuMs = median(node.map((r) => r.cpuMs));
    const measured = clients.map((client, c) => {
      const listMs = median(samples[c].map((r) => r.wallMs));
      const listCpuMs = median(samples[c].map((r) => r.cpuMs));
      const m = {
        client: client.name,
        builtAt: client.builtAt,
        listMs,
        listCpuMs,
        ratio: listMs / nodeMs,
        cpuRatio: listCpuMs / nodeCpuMs,
        samples: samples[c],
      };
      log(
        `CLI start-up, ${m.client}: convoy list ${listMs.toFixed(1)} ms, node -e 0 ${nodeMs.toFixed(1)} ms (wall, medians of ${runs}): ${m.ratio.toFixed(2)} ×; ` +
          `CPU ${listCpuMs.toFixed(1)} vs ${nodeCpuMs.toFixed(1)} ms: ${m.cpuRatio.toFixed(2)} ×`,
      );
      return m;
    });
    return { nodeMs, nodeCpuMs, runs, nodeSamples: node, clients: measured, releaseSkipped: release.skipped };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode === null ? daemon.once('exit', r) : r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows for the goals table: one per way of running the client (a missing one says why). */
export function cliStartupGoals(m) {
  const goal = (client) => `\`convoy list\` (${client}) against a running daemon starts within ${GOAL_RATIO} × \`node -e 0\`, wall and CPU (issue 20)`;
  const rows = m.clients.map((c) => ({
    goal: goal(c.client),
    where: 'CLI',
    reached: c.ratio <= GOAL_RATIO && c.cpuRatio <= GOAL_RATIO,
    ratio: Math.max(c.ratio, c.cpuRatio),
    ratioText: `${c.ratio.toFixed(2)} × wall, ${c.cpuRatio.toFixed(2)} × CPU`,
    detail:
      `convoy list ${c.listMs.toFixed(1)} ms vs node -e 0 ${m.nodeMs.toFixed(1)} ms wall, CPU ${c.listCpuMs.toFixed(1)} vs ${m.nodeCpuMs.toFixed(1)} ms, medians of ${m.runs} alternating runs` +
      (c.builtAt ? `; executable built ${c.builtAt.slice(0, 16).replace('T', ' ')} UTC` : ''),
  }));
  if (m.releaseSkipped)
    rows.push({ goal: goal('release executable'), where: 'CLI', reached: undefined, ratio: undefined, ratioText: '–', detail: m.releaseSkipped });
  return rows;
}
