import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile, removeFileDurably, writeJsonAtomic } from '@convoy/core';

/**
 * What a multi-step operation is about to do, written durably BEFORE its first step touches the
 * pool and removed after its last. A start-up finding one knows exactly what was in flight:
 * creates are rolled back (the caller never got a volume or snapshot), deletes are finished
 * (the caller asked for them and they were already checked).
 */
export type Intent =
  | { op: 'create-volume'; volume: string; devId: number }
  | { op: 'create-snapshot'; volume: string; snapshot: string; devId: number }
  | { op: 'delete-volume'; volume: string; devIds: number[] }
  | { op: 'delete-snapshot'; volume: string; snapshot: string; devId: number };

export interface PendingIntent {
  id: string;
  intent: Intent;
}

export class IntentLog {
  private sequence = 0;

  private constructor(private readonly dir: string) {}

  static async open(root: string): Promise<IntentLog> {
    const dir = path.join(root, 'intents');
    await mkdir(dir, { recursive: true });
    return new IntentLog(dir);
  }

  /** Records `intent` durably; returns the id to pass to `clear` once the operation is complete. */
  async record(intent: Intent): Promise<string> {
    // Time first so that a directory listing replays intents in the order they were written.
    const id = `${Date.now().toString().padStart(15, '0')}-${(this.sequence++).toString().padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    await writeJsonAtomic(path.join(this.dir, `${id}.json`), intent);
    return id;
  }

  async clear(id: string): Promise<void> {
    await removeFileDurably(path.join(this.dir, `${id}.json`));
  }

  async pending(): Promise<PendingIntent[]> {
    const files = (await readdir(this.dir)).filter((file) => file.endsWith('.json') && !file.startsWith('.')).sort();
    const pending: PendingIntent[] = [];
    for (const file of files) {
      const intent = await readJsonFile<Intent>(path.join(this.dir, file));
      if (intent) pending.push({ id: file.slice(0, -'.json'.length), intent });
    }
    return pending;
  }
}
