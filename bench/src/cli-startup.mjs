// How fast a client command starts: `convoy list` against a running daemon (vfs, three volumes)
// next to `node -e 0`, alternating so both see the same load; medians of wall time. Issue 9's
// goal: within 1.5 × `node -e 0` (wall); CPU time (GNU time) is shown too, as it suffers less
// from a loaded machine. Run alone with `node bench/cli-startup.mjs` (after `pnpm build`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CLI = path.resolve(import.meta.dirname, '../../packages/cli/dist/index.js');
const GOAL_RATIO = 1.5;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall and CPU (user + system) milliseconds of one `node ARGS` run, from GNU time. */
function timedRun(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  const [wall, user, system] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wallMs: wall * 1000, cpuMs: (user + system) * 1000 };
}

async function waitForSocket(socket, daemon) {
  for (let i = 0; i < 200; i++) {
    if (existsSync(socket)) return;
    if (daemon.exitCode !== null) throw new Error(`the convoy daemon exited with ${daemon.exitCode} before listening`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the convoy daemon did not listen on ${socket} within 10 s`);
}

/** Measures `convoy list` start-up; returns medians in ms, the ratio and each sample. */
export async function measureCliStartup({ runs = 15, log = () => undefined } = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first`);
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-cli-startup-'));
  const socket = path.join(dir, 'convoy.sock');
  mkdirSync(path.join(dir, 'volumes'));
  const daemon = spawn(
    process.execPath,
    [CLI, 'daemon', '--root', path.join(dir, 'root'), '--socket', socket, '--drivers', 'vfs', '--driver-opts', `vfs.path=${path.join(dir, 'volumes')}`, '--docker-plugin-dir', path.join(dir, 'plugins'), '--log-level', 'error'],
    { stdio: 'ignore' },
  );
  try {
    await waitForSocket(socket, daemon);
    for (const name of ['bench1', 'bench2', 'bench3']) timedRun([CLI, '--socket', socket, 'create', name]);
    const list = [CLI, '--socket', socket, 'list'];
    // Warm the page cache for both before counting.
    timedRun(['-e', '0']);
    timedRun(list);
    const node = [];
    const convoy = [];
    for (let i = 0; i < runs; i++) {
      node.push(timedRun(['-e', '0']));
      convoy.push(timedRun(list));
    }
    const result = {
      nodeMs: median(node.map((r) => r.wallMs)),
      listMs: median(convoy.map((r) => r.wallMs)),
      nodeCpuMs: median(node.map((r) => r.cpuMs)),
      listCpuMs: median(convoy.map((r) => r.cpuMs)),
      runs,
      samples: { node, convoy },
    };
    result.ratio = result.listMs / result.nodeMs;
    result.cpuRatio = result.listCpuMs / result.nodeCpuMs;
    log(
      `CLI start-up: convoy list ${result.listMs.toFixed(0)} ms, node -e 0 ${result.nodeMs.toFixed(0)} ms (wall, medians of ${runs}): ${result.ratio.toFixed(2)} ×; ` +
        `CPU ${result.listCpuMs.toFixed(0)} vs ${result.nodeCpuMs.toFixed(0)} ms: ${result.cpuRatio.toFixed(2)} ×`,
    );
    return result;
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode === null ? daemon.once('exit', r) : r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The row for the goals table. */
export function cliStartupGoal(m) {
  return {
    goal: `\`convoy list\` against a running daemon starts within ${GOAL_RATIO} × \`node -e 0\` (issue 9)`,
    where: 'CLI',
    reached: m.ratio <= GOAL_RATIO,
    ratio: m.ratio,
    ratioText: `${m.ratio.toFixed(2)} ×`,
    detail: `convoy list ${m.listMs.toFixed(0)} ms vs node -e 0 ${m.nodeMs.toFixed(0)} ms wall (CPU ${m.listCpuMs.toFixed(0)} vs ${m.nodeCpuMs.toFixed(0)} ms, ${m.cpuRatio.toFixed(2)} ×), medians of ${m.runs} alternating runs`,
  };
}
