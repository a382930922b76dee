import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createCommandRunner, silentLogger } from '@convoy/core';
import { expectCode } from '@convoy/core/testing';
import { tempDirFactory } from '@convoy/test-support/tmp';
import { describe, expect, it } from 'vitest';
import vfs, { type VfsDriver } from './index.js';

/**
 * replaceVolume, a vfs standby's sync (a full re-extract): the new content is extracted beside
 * the volume and swapped in, and what a crash between the swap's two renames leaves (no data
 * directory) is completed by the next replace; a mounted volume, a missing one or a bad archive
 * is refused with the old content kept.
 */
const freshDir = await tempDirFactory('convoy-vfs-replace-');
const run = createCommandRunner({ timeoutMs: 60_000 });

async function driverWith(files: Record<string, string>): Promise<{ driver: VfsDriver; base: string }> {
  const base = path.join(await freshDir(), 'share');
  await fs.mkdir(base, { recursive: true });
  const driver = (await vfs.create({ root: path.join(await freshDir(), 'vfs'), options: { 'vfs.path': base }, run, log: silentLogger })) as VfsDriver;
  await driver.createVolume({ name: 'src', options: {} });
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(base, 'src', name), content);
  await driver.snapshots.createSnapshot('src', 'src-1');
  await driver.createVolume({ name: 'dr', options: {} });
  await fs.writeFile(path.join(base, 'dr', 'old.txt'), 'old');
  return { driver, base };
}

const tree = async (dir: string) => (await fs.readdir(dir)).sort();

describe('vfs replaceVolume', () => {
  it('swaps the extracted archive in whole, leaving nothing of the old content or in the temp area', async () => {
    const { driver, base } = await driverWith({ 'a.txt': 'a', 'b.txt': 'b' });
    const record = await driver.backup.replaceVolume('dr', await driver.backup.exportSnapshot('src', 'src-1'));
    expect(record.name).toBe('dr');
    expect(await tree(path.join(base, 'dr'))).toEqual(['a.txt', 'b.txt']);
    expect(await tree(path.join(base, '.convoy-tmp'))).toEqual([]);
  });

  it('completes a swap a crash left half done (the data directory renamed away, the new one not yet in place)', async () => {
    const { driver, base } = await driverWith({ 'a.txt': 'a' });
    await fs.rm(path.join(base, 'dr'), { recursive: true });
    await driver.backup.replaceVolume('dr', await driver.backup.exportSnapshot('src', 'src-1'));
    expect(await fs.readFile(path.join(base, 'dr', 'a.txt'), 'utf8')).toBe('a');
  });

  it('refuses a mounted volume, a missing one and a truncated archive, keeping the old content', async () => {
    const { driver, base } = await driverWith({ 'a.txt': 'a' });
    await driver.mountVolume('dr', {});
    await expectCode(driver.backup.replaceVolume('dr', await driver.backup.exportSnapshot('src', 'src-1')), 'BUSY', 'volume dr is mounted');
    await driver.umountVolume('dr');
    await expectCode(driver.backup.replaceVolume('nope', await driver.backup.exportSnapshot('src', 'src-1')), 'NOT_FOUND', 'volume nope does not exist');
    const whole = Buffer.concat(await (await driver.backup.exportSnapshot('src', 'src-1')).toArray());
    await expect(driver.backup.replaceVolume('dr', Readable.from([whole.subarray(0, 700)]))).rejects.toBeDefined();
    expect(await tree(path.join(base, 'dr'))).toEqual(['old.txt']);
    expect(await tree(path.join(base, '.convoy-tmp'))).toEqual([]);
  });
});
