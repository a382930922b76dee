import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';

/** Every entry of a tree, sorted: directories, link targets, and a digest of each file's bytes. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        out.push(`${r}/`);
        await walk(r);
      } else if (entry.isSymbolicLink()) out.push(`${r} -> ${await readlink(path.join(dir, r))}`);
      else out.push(`${r} ${(await readFile(path.join(dir, r))).toString('base64').slice(0, 40)} ${(await stat(path.join(dir, r))).size}`);
    }
  };
  await walk('');
  return out;
}
