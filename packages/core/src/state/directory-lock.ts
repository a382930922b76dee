import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConvoyError } from '../errors.js';
import { writeJsonAtomic } from './atomic-file.js';
import { currentProcessIdentity, isProcessGone, type ProcessIdentity } from './process-identity.js';

export interface LockOwner extends ProcessIdentity {
  /** Unique per acquisition: tells this holding apart from a later one by the same process. */
  nonce: string;
  /** What the lock protects, for messages ("daemon root /var/lib/convoy"). */
  purpose: string;
  acquiredAt: string;
}

export interface DirectoryLockOptions {
  /** What the lock protects, shown to whoever finds it held. */
  purpose: string;
  /**
   * How long the lock stays valid without a heartbeat. The holder refreshes it every third of
   * this; a holder on another machine whose lock is older than this is taken over. Undefined:
   * the lock never expires and only a holder known dead (same kernel) is taken over.
   */
  ttlMs?: number;
  /** How long to wait for a live holder before giving up with BUSY; 0 fails at once. */
  waitMs: number;
  /** Called if a heartbeat finds the lock taken over (our holder stalled past the expiry). */
  onLost?: (by: LockOwner | undefined) => void;
}

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

const OWNER_FILE = 'owner.json';
/** An unreadable lock (no owner file) older than this is debris from a crash. */
const UNREADABLE_GRACE_MS = 10_000;

/**
 * An exclusive lock that works on local disks and on NFS, where flock may not: the lock is a
 * directory holding `owner.json`, published complete by renaming a prepared directory into
 * place (a rename onto a non-empty directory fails, atomically, on the server).
 *
 * A stale lock is taken aside by renaming it to a unique name and checking that what was taken
 * is the stale holding we judged (same nonce); if a live holder got there first, it is put back.
 */
export async function acquireDirectoryLock(lockPath: string, opts: DirectoryLockOptions): Promise<HeldLock> {
  const owner: LockOwner = {
    ...currentProcessIdentity(),
    nonce: randomBytes(8).toString('hex'),
    purpose: opts.purpose,
    acquiredAt: new Date().toISOString(),
  };
  const prepared = `${lockPath}.${owner.nonce}.new`;
  await fs.mkdir(prepared, { mode: 0o755 });
  try {
    await writeJsonAtomic(path.join(prepared, OWNER_FILE), owner);
    const deadline = Date.now() + opts.waitMs;
    for (let attempt = 0; ; attempt++) {
      if (await publish(prepared, lockPath)) return holdLock(lockPath, owner, opts);
      const holder = await readOwner(lockPath);
      if (await isStale(lockPath, holder, opts.ttlMs)) {
        await takeAside(lockPath, holder?.nonce);
        continue;
      }
      if (Date.now() >= deadline) throw heldBy(lockPath, holder, opts.purpose);
      await sleep(Math.min(50 * 2 ** attempt, 500));
    }
  } finally {
    await fs.rm(prepared, { recursive: true, force: true });
  }
}

async function publish(prepared: string, lockPath: string): Promise<boolean> {
  try {
    await fs.rename(prepared, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    if (code === 'ENOTDIR') {
      throw new ConvoyError('STATE_ERROR', `${lockPath} is a file, not a Convoy lock directory; if no other Convoy runs here, remove it`, { cause: err });
    }
    throw err;
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(path.join(lockPath, OWNER_FILE), 'utf8')) as LockOwner;
    return typeof owner.nonce === 'string' && typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function isStale(lockPath: string, holder: LockOwner | undefined, ttlMs: number | undefined): Promise<boolean> {
  if (holder && isProcessGone(holder)) return true;
  const limit = holder ? ttlMs : (ttlMs ?? UNREADABLE_GRACE_MS);
  if (limit === undefined) return false;
  const age = await ageOnServer(lockPath);
  return age !== undefined && age > limit;
}

/**
 * Age of the lock's last heartbeat by the file server's clock, not ours: hosts sharing an NFS
 * path may disagree about the time, but the server stamps both files.
 */
async function ageOnServer(lockPath: string): Promise<number | undefined> {
  const probe = `${lockPath}.clock-${randomBytes(6).toString('hex')}`;
  try {
    const stamped = await fs.stat(path.join(lockPath, OWNER_FILE)).catch(() => fs.stat(lockPath));
    await fs.writeFile(probe, '');
    const now = await fs.stat(probe);
    return now.mtimeMs - stamped.mtimeMs;
  } catch {
    return undefined;
  } finally {
    await fs.rm(probe, { force: true });
  }
}

/** Moves the lock at `lockPath` away if it still is the holding `expectedNonce`; puts it back otherwise. */
async function takeAside(lockPath: string, expectedNonce: string | undefined): Promise<boolean> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const taken = await readOwner(aside);
  if (taken?.nonce === expectedNonce) {
    await fs.rm(aside, { recursive: true, force: true });
    return true;
  }
  try {
    await fs.rename(aside, lockPath);
  } catch (err) {
    throw new ConvoyError(
      'STATE_ERROR',
      `lost a race for ${lockPath}: a live lock was moved to ${aside} and could not be put back; stop all Convoy daemons sharing this path and remove it`,
      {
        cause: err,
      },
    );
  }
  return false;
}

function holdLock(lockPath: string, owner: LockOwner, opts: DirectoryLockOptions): HeldLock {
  let heartbeat: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  if (opts.ttlMs !== undefined) {
    heartbeat = setInterval(
      () => {
        beating = refresh(lockPath, owner).then((stillOurs) => {
          if (!stillOurs) {
            clearInterval(heartbeat);
            void readOwner(lockPath).then((by) => opts.onLost?.(by));
          }
        });
      },
      Math.max(opts.ttlMs / 3, 10),
    );
    heartbeat.unref();
  }
  // One release, however many callers: a second caller (a shutdown racing an abandon) waits for it.
  let releasing: Promise<void> | undefined;
  return {
    path: lockPath,
    owner,
    release() {
      return (releasing ??= (async () => {
        clearInterval(heartbeat);
        await beating;
        await takeAside(lockPath, owner.nonce);
      })());
    },
  };
}

/**
 * Rewrites the owner file in place, through one open descriptor, if it is still ours: the
 * server stamps the new mtime, and a lock swapped in by someone else is never written to.
 */
async function refresh(lockPath: string, owner: LockOwner): Promise<boolean> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(path.join(lockPath, OWNER_FILE), 'r+');
    const content = await fh.readFile();
    if ((JSON.parse(content.toString('utf8')) as Partial<LockOwner>).nonce !== owner.nonce) return false;
    await fh.write(content, 0, content.length, 0);
    return true;
  } catch (err) {
    // Only a vanished lock is lost; a passing I/O error must not stop the heartbeat.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  } finally {
    await fh?.close();
  }
}

function heldBy(lockPath: string, holder: LockOwner | undefined, purpose: string): ConvoyError {
  const who = holder ? `pid ${holder.pid} on host ${holder.host} since ${holder.acquiredAt}` : 'an unknown process';
  return new ConvoyError('BUSY', `${purpose} is locked by ${who} (lock ${lockPath})`, {
    details: { lock: lockPath, ...(holder ? { holder: { pid: holder.pid, host: holder.host, acquiredAt: holder.acquiredAt } } : {}) },
  });
}
