/**
 * Where the manager keeps which volumes are standbys and what each holds: one small JSON file
 * per standby volume (`<dir>/<volume>.json`), written atomically and fsync'd (temp, fsync,
 * rename, fsync dir), so the state and the sync journal in it survive a crash or a restart of
 * the daemon. Drivers know nothing of it: a standby is an ordinary volume of its driver that the
 * manager refuses to let anyone write. Without a directory (embeddings and tests that keep no
 * state) the records live in memory only.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StandbyState } from '@convoy/core';
import { readJsonFile, removeFileDurably, validateName, writeJsonAtomic } from '@convoy/core';

export const STANDBY_DIR = 'standby';

export class StandbyRecords {
  private readonly memory = new Map<string, StandbyState>();

  constructor(private readonly dir?: string) {}

  /** The volumes that have a record (what start-up settles: standby-startup.ts). */
  async names(): Promise<string[]> {
    if (!this.dir) return [...this.memory.keys()];
    let files: string[];
    try {
      files = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Only `<volume>.json`: a temp file of an interrupted atomic write is no record.
    return files.filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length));
  }

  async get(volumeName: string): Promise<StandbyState | undefined> {
    if (!this.dir) return this.memory.get(volumeName);
    return readJsonFile<StandbyState>(this.file(volumeName));
  }

  /** Durable when it resolves. */
  async put(volumeName: string, state: StandbyState): Promise<void> {
    if (!this.dir) {
      this.memory.set(volumeName, structuredClone(state));
      return;
    }
    await fs.mkdir(this.dir, { recursive: true });
    await writeJsonAtomic(this.file(volumeName), state);
  }

  async remove(volumeName: string): Promise<void> {
    if (!this.dir) {
      this.memory.delete(volumeName);
      return;
    }
    await fs.mkdir(this.dir, { recursive: true });
    await removeFileDurably(this.file(volumeName));
  }

  private file(volumeName: string): string {
    return path.join(this.dir!, `${validateName(volumeName, 'volume')}.json`);
  }
}
