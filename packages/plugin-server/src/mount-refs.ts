import path from 'node:path';
import { ConvoyError, readJsonFile, writeJsonAtomic } from '@convoy/core';

interface MountRefsFile {
  version: 1;
  /** Volume name → the Docker mount IDs that hold it. */
  mounts: Record<string, string[]>;
}

export const MOUNT_REFS_FILE = 'docker-mounts.json';

/**
 * Which Docker mount IDs hold each volume. Docker sends one Mount and one Unmount per
 * container, each with its own ID, so the volume is mounted on the first ID and unmounted on
 * the last. Every change is written atomically before it is acknowledged, so a daemon restart
 * keeps the counts of containers that are still running.
 */
export class MountRefs {
  private readonly file: string;
  private readonly mounts = new Map<string, Set<string>>();
  /** Writes run one after another so an older state never lands after a newer one. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(stateDir: string) {
    this.file = path.join(stateDir, MOUNT_REFS_FILE);
  }

  static async load(stateDir: string): Promise<MountRefs> {
    const refs = new MountRefs(stateDir);
    const saved = await readJsonFile<MountRefsFile>(refs.file);
    if (saved === undefined) return refs;
    if (saved.version !== 1 || typeof saved.mounts !== 'object' || saved.mounts === null) {
      throw new ConvoyError('STATE_ERROR', `${refs.file} is not a Docker mount table this version understands`);
    }
    for (const [volume, ids] of Object.entries(saved.mounts)) {
      if (Array.isArray(ids) && ids.length > 0) refs.mounts.set(volume, new Set(ids.map(String)));
    }
    return refs;
  }

  holders(volume: string): ReadonlySet<string> {
    return this.mounts.get(volume) ?? new Set();
  }

  volumes(): string[] {
    return [...this.mounts.keys()];
  }

  async add(volume: string, id: string): Promise<void> {
    const ids = this.mounts.get(volume) ?? new Set<string>();
    if (ids.has(id)) return;
    ids.add(id);
    this.mounts.set(volume, ids);
    try {
      await this.save();
    } catch (err) {
      this.drop(volume, id);
      throw err;
    }
  }

  async remove(volume: string, id: string): Promise<void> {
    if (!this.drop(volume, id)) return;
    try {
      await this.save();
    } catch (err) {
      const ids = this.mounts.get(volume) ?? new Set<string>();
      this.mounts.set(volume, ids.add(id));
      throw err;
    }
  }

  private drop(volume: string, id: string): boolean {
    const ids = this.mounts.get(volume);
    if (!ids?.delete(id)) return false;
    if (ids.size === 0) this.mounts.delete(volume);
    return true;
  }

  /** Forgets a volume entirely (it no longer exists). */
  async forget(volume: string): Promise<void> {
    if (!this.mounts.delete(volume)) return;
    await this.save();
  }

  private save(): Promise<void> {
    const snapshot: MountRefsFile = { version: 1, mounts: Object.fromEntries([...this.mounts].map(([v, ids]) => [v, [...ids]])) };
    const write = this.writing.then(() => writeJsonAtomic(this.file, snapshot));
    // A failed write must not poison the chain; the caller of this save sees the failure.
    this.writing = write.catch(() => undefined);
    return write;
  }
}
