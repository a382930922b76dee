/*
 * A tree's files and their content hashes, sorted: equal before and after an operation means it
 * changed nothing on disk (tests of refused input fingerprint the daemon's state and the store).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function fingerprintTree(top: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await fs.readdir(at, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        out.push(
          `${path.relative(top, full)} ${createHash('sha256')
            .update(await fs.readFile(full))
            .digest('hex')}`,
        );
      else out.push(`${path.relative(top, full)} (${entry.isSocket() ? 'socket' : entry.isSymbolicLink() ? 'symlink' : 'other'})`);
    }
  };
  await walk(top);
  return out.sort();
}
