import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConvoyError, isConvoyError } from '../errors.js';
import { acquireDirectoryLock, type HeldLock } from './directory-lock.js';

/**
 * The daemon's exclusive hold on its root directory (`<root>/lock`), like Convoy's flock but
 * safe on any filesystem: a second daemon on the same root is refused with the holder's pid;
 * a lock left by a process that has died is taken over. Release it on shutdown.
 */
export async function acquireRootLock(root: string): Promise<HeldLock> {
  const dir = path.resolve(root);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return await acquireDirectoryLock(path.join(dir, 'lock'), { purpose: `daemon root ${dir}`, waitMs: 0 });
  } catch (err) {
    if (!isConvoyError(err, 'BUSY')) throw err;
    const holder = err.details?.holder as { pid: number; host: string; acquiredAt: string } | undefined;
    const who = holder ? `pid ${holder.pid} on host ${holder.host}, running since ${holder.acquiredAt}` : 'a process that cannot be identified';
    throw new ConvoyError(
      'BUSY',
      `another Convoy daemon (${who}) is using root ${dir}; stop it first or pick another --root (if it is gone, e.g. it ran in another container, remove ${path.join(dir, 'lock')})`,
      {
        details: err.details,
        cause: err,
      },
    );
  }
}
