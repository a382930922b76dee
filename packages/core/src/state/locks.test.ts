import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDirFactory } from '../testing/temp-dir.js';
import { acquireDirectoryLock, type LockOwner } from './directory-lock.js';
import { currentProcessIdentity } from './process-identity.js';
import { acquireRootLock } from './root-lock.js';

const freshDir = await tempDirFactory('convoy-locks-');

/** A real process's identity, as it would have written it into a lock; `kill` ends it. */
async function startProcess(): Promise<{ owner: LockOwner; kill: () => Promise<void> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pid = child.pid as number;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
  const owner: LockOwner = {
    ...currentProcessIdentity(),
    pid,
    startTime,
    nonce: 'abandoned0000001',
    purpose: 'test',
    acquiredAt: new Date().toISOString(),
  };
  return {
    owner,
    kill: async () => {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

async function plantLock(lockPath: string, owner: LockOwner): Promise<void> {
  await fs.mkdir(lockPath);
  await fs.writeFile(path.join(lockPath, 'owner.json'), JSON.stringify(owner));
}

describe('acquireRootLock', () => {
  it('refuses a second daemon on the same root, naming the holder pid, until the first releases', async () => {
    const root = path.join(await freshDir(), 'convoy-root');
    const first = await acquireRootLock(root);
    const refused = await acquireRootLock(root).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BUSY' });
    expect(String((refused as Error).message)).toContain(`pid ${process.pid}`);
    expect(String((refused as Error).message)).toContain(root);
    await first.release();
    const second = await acquireRootLock(root);
    await second.release();
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('takes over a lock left by a process that has died', async () => {
    const root = await freshDir();
    const gone = await startProcess();
    await plantLock(path.join(root, 'lock'), gone.owner);
    await gone.kill();
    const lock = await acquireRootLock(root);
    expect(lock.owner.pid).toBe(process.pid);
    expect(JSON.parse(await fs.readFile(path.join(root, 'lock', 'owner.json'), 'utf8')).nonce).toBe(lock.owner.nonce);
    await lock.release();
  });

  it('takes over a lock whose pid now belongs to a different, later process', async () => {
    const root = await freshDir();
    await plantLock(path.join(root, 'lock'), { ...currentProcessIdentity(), startTime: '1', nonce: 'reused-pid', purpose: 'test', acquiredAt: '' });
    const lock = await acquireRootLock(root);
    await lock.release();
  });

  it('never takes over a lock of a live process, nor of one on another machine', async () => {
    const root = await freshDir();
    const alive = await startProcess();
    try {
      await plantLock(path.join(root, 'lock'), alive.owner);
      await expect(acquireRootLock(root)).rejects.toThrow(`pid ${alive.owner.pid}`);
    } finally {
      await alive.kill();
    }
    const other = await freshDir();
    await plantLock(path.join(other, 'lock'), { ...alive.owner, bootId: 'another-machine', host: 'elsewhere' });
    await expect(acquireRootLock(other)).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('elsewhere') });
  });

  it('refuses a plain file where the lock directory belongs', async () => {
    const root = await freshDir();
    await fs.writeFile(path.join(root, 'lock'), '');
    await expect(acquireRootLock(root)).rejects.toMatchObject({ code: 'STATE_ERROR' });
  });
});

describe('acquireDirectoryLock', () => {
  it('lets exactly one holder in at a time among concurrent acquirers', async () => {
    const dir = await freshDir();
    const lockPath = path.join(dir, 'vol.lock');
    let inside = 0;
    let maxInside = 0;
    let turns = 0;
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const lock = await acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 30_000, ttlMs: 30_000 });
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await sleep(20);
        inside -= 1;
        turns += 1;
        await lock.release();
      }),
    );
    expect(turns).toBe(5);
    expect(maxInside).toBe(1);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('takes over a lock from another machine once its heartbeat is older than the expiry', async () => {
    const dir = await freshDir();
    const lockPath = path.join(dir, 'vol.lock');
    const foreign = { ...currentProcessIdentity(), bootId: 'another-machine', host: 'elsewhere', nonce: 'foreign', purpose: 'volume v', acquiredAt: '' };
    await plantLock(lockPath, foreign);
    await expect(acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 0, ttlMs: 60_000 })).rejects.toMatchObject({ code: 'BUSY' });
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(path.join(lockPath, 'owner.json'), old, old);
    const lock = await acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 0, ttlMs: 60_000 });
    await lock.release();
  });

  it('keeps a long holding alive with heartbeats so nobody takes it over', async () => {
    const dir = await freshDir();
    const lockPath = path.join(dir, 'vol.lock');
    const held = await acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 0, ttlMs: 300 });
    const planted = JSON.parse(await fs.readFile(path.join(lockPath, 'owner.json'), 'utf8'));
    // Pretend the holder is on another machine, so only the expiry could free the lock.
    await fs.writeFile(path.join(lockPath, 'owner.json'), JSON.stringify({ ...planted, bootId: 'another-machine' }));
    await sleep(900);
    await expect(acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 0, ttlMs: 300 })).rejects.toMatchObject({ code: 'BUSY' });
    await held.release();
  });

  it('waits for a live holder to release when allowed to wait', async () => {
    const dir = await freshDir();
    const lockPath = path.join(dir, 'vol.lock');
    const first = await acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 0 });
    setTimeout(() => void first.release(), 200);
    const second = await acquireDirectoryLock(lockPath, { purpose: 'volume v', waitMs: 5_000 });
    expect(second.owner.nonce).not.toBe(first.owner.nonce);
    await second.release();
  });
});
