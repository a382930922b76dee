/*
 * A volume with a history to protect: `count` versions of one file, each snapshotted (`<volume>-s<i>`)
 * and backed up to `store`, through the CLI. Retention and refusal tests start from it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliRun } from './cli-harness.js';

export async function createVolumeHistory(cli: (args: string[]) => Promise<CliRun>, volume: string, store: string, count: number): Promise<void> {
  const must = async (args: string[]) => {
    const res = await cli(args);
    if (res.code !== 0) throw new Error(`convoy ${args.join(' ')} failed: ${res.stderr}`);
    return res;
  };
  await must(['create', volume]);
  const mountpoint = (await must(['mount', volume])).stdout.trim();
  for (let i = 0; i < count; i++) {
    await writeFile(path.join(mountpoint, 'data'), `version ${i}`);
    await must(['snapshot', 'create', volume, '--name', `${volume}-s${i}`]);
    await must(['backup', 'create', `${volume}-s${i}`, '--dest', store]);
  }
}
