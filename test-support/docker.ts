import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * An isolated dockerd for end-to-end tests: its own socket, data-root and exec-root under a temp dir, no iptables, no bridge. It
 * never touches the host's Docker; several can run at once.
 */

const BUSYBOX = '/bin/busybox';
export const BUSYBOX_IMAGE = 'local/busybox';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** What describeNeeding() needs to know about this machine. */
export const dockerdRequirement = {
  available: (process.getuid?.() ?? 1) === 0 && onPath('dockerd') && onPath('docker') && existsSync(BUSYBOX),
  name: 'dockerd (as root) and busybox-static',
  install: 'run as root with `apt-get install -y docker.io busybox-static`',
};

export interface DockerResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Dockerd {
  /** `unix://...` for DOCKER_HOST. */
  readonly host: string;
  readonly logFile: string;
  /** Runs the docker CLI against this daemon. */
  docker(args: readonly string[], opts?: { timeoutMs?: number }): Promise<DockerResult>;
  /** Like docker(), but a non-zero exit throws with stderr and the tail of dockerd's log. */
  dockerOk(args: readonly string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** Stops dockerd by its pid and waits until it has exited. */
  stop(): Promise<void>;
}

function runDocker(host: string, args: readonly string[], timeoutMs: number): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: signal ? `${stderr}\n(docker ${args.join(' ')} killed after ${timeoutMs} ms)` : stderr, exitCode: code ?? 1 });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts dockerd under `dir` and waits until it answers. */
export async function startDockerd(dir: string): Promise<Dockerd> {
  const data = path.join(dir, 'data');
  const exec = path.join(dir, 'exec');
  await mkdir(data, { recursive: true });
  await mkdir(exec, { recursive: true });
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const logFile = path.join(dir, 'dockerd.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    'dockerd',
    [
      '--host',
      host,
      '--data-root',
      data,
      '--exec-root',
      exec,
      '--pidfile',
      path.join(dir, 'dockerd.pid'),
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
      '--bridge=none',
      '--storage-driver=overlay2',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const logTail = () => readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');

  const dockerd: Dockerd = {
    host,
    logFile,
    docker: (args, opts) => runDocker(host, args, opts?.timeoutMs ?? 120_000),
    async dockerOk(args, opts) {
      const res = await runDocker(host, args, opts?.timeoutMs ?? 120_000);
      if (res.exitCode !== 0) throw new Error(`docker ${args.join(' ')} exited ${res.exitCode}: ${res.stderr.trim()}\n--- dockerd log ---\n${logTail()}`);
      return res.stdout;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const done = exited(child);
      const timedOut = await Promise.race([done.then(() => false), sleep(30_000).then(() => true)]);
      if (timedOut) {
        child.kill('SIGKILL');
        await done;
      }
    },
  };

  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}:\n${logTail()}`);
    if ((await runDocker(host, ['version'], 10_000)).exitCode === 0) return dockerd;
    await sleep(500);
  }
  await dockerd.stop();
  throw new Error(`dockerd did not answer within 60 s:\n${logTail()}`);
}

/** Imports a busybox-static root filesystem as `local/busybox`, so no registry is needed. */
export async function importBusybox(dockerd: Dockerd, workDir: string): Promise<void> {
  const rootfs = path.join(workDir, 'busybox-rootfs');
  for (const d of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev', 'data']) await mkdir(path.join(rootfs, d), { recursive: true });
  await copyFile(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const applet of applets) await symlink('busybox', path.join(rootfs, 'bin', applet));
  if (readdirSync(path.join(rootfs, 'bin')).length < 2) throw new Error('busybox --list gave no applets');
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const imp = spawn('docker', ['import', '-c', 'CMD ["/bin/sh"]', '-', BUSYBOX_IMAGE], {
      env: { ...process.env, DOCKER_HOST: dockerd.host },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    imp.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    tar.stdout.pipe(imp.stdin);
    imp.on('error', reject);
    imp.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker import failed (${code}): ${stderr}`))));
  });
}
