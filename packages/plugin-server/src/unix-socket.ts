import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConvoyError } from '@convoy/core';

/** Linux limits sun_path to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const SOCKET_MODE = 0o660;

export interface SocketPlacement {
  /** Where clients connect. */
  path: string;
  /** Group that may use the socket besides its owner; the process's own group when absent. */
  gid?: number;
}

/** The socket a daemon published, to take down again on shutdown. */
export interface PublishedSocket {
  readonly path: string;
  /** Removes the socket file, if it is still the one this process published. */
  unpublish(): Promise<void>;
}

function connectProbe(socketPath: string): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const probe = net.connect({ path: socketPath });
    const settle = (outcome: 'live' | 'stale' | Error) => {
      probe.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    probe.setTimeout(2000, () => settle(new ConvoyError('BUSY', `${socketPath} accepts connections but does not answer; is another daemon hung there?`)));
    probe.once('connect', () => settle('live'));
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') settle('stale');
      else settle(new ConvoyError('INVALID_ARGUMENT', `cannot check the existing socket ${socketPath}: ${err.message}`, { cause: err }));
    });
  });
}

/**
 * Makes sure `socketPath` is free to take: nothing there, or a socket nobody listens on any
 * more (a daemon that died), which is removed. A live socket belongs to another daemon and is
 * refused; anything that is not a socket is never deleted.
 */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) {
    throw new ConvoyError('ALREADY_EXISTS', `${socketPath} exists and is not a socket; refusing to replace it`);
  }
  if ((await connectProbe(socketPath)) === 'live') {
    throw new ConvoyError('BUSY', `another daemon is already listening on ${socketPath}`);
  }
  await fs.rm(socketPath, { force: true });
}

/**
 * Listens on a unix socket that is never world-writable, not even for an instant: the server
 * binds inside a fresh private directory, the socket gets mode 0660 and its group there, and
 * only then is it renamed to the path clients use.
 */
export async function publishSocket(listen: (tmpPath: string) => Promise<void>, placement: SocketPlacement): Promise<PublishedSocket> {
  const socketPath = path.resolve(placement.path);
  const dir = path.dirname(socketPath);
  const privateDir = path.join(dir, `.convoy-${randomBytes(4).toString('hex')}`);
  const tmpPath = path.join(privateDir, 's');
  if (Buffer.byteLength(tmpPath) > MAX_SOCKET_PATH || Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new ConvoyError('INVALID_ARGUMENT', `socket path ${socketPath} is too long for a unix socket (keep it under ${MAX_SOCKET_PATH - 16} bytes)`);
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await clearStaleSocket(socketPath);
  await fs.mkdir(privateDir, { mode: 0o700 });
  try {
    await listen(tmpPath);
    await fs.chmod(tmpPath, SOCKET_MODE);
    await fs.chown(tmpPath, process.getuid?.() ?? 0, placement.gid ?? process.getgid?.() ?? 0).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPERM') throw err;
      throw new ConvoyError('INVALID_ARGUMENT', `cannot give the socket to group ${placement.gid}: only root or a member of that group may (${err.code})`, {
        cause: err,
      });
    });
    await fs.rename(tmpPath, socketPath);
  } finally {
    await fs.rm(privateDir, { recursive: true, force: true });
  }
  const { ino } = await fs.stat(socketPath);
  return {
    path: socketPath,
    async unpublish() {
      const now = await fs.lstat(socketPath).catch(() => undefined);
      if (now?.ino === ino) await fs.rm(socketPath, { force: true });
    },
  };
}
