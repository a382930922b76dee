import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.js';
import { ensureRealParents, makeRealDirectory, openRealFile } from './paths-on-disk.js';

const refuse = (problem: string) => new Error(`refused: ${problem}`);

/** Paths resolved on disk: nothing is created or opened through a symlink, whichever component it is. */
describe('paths on disk', () => {
  it('creates missing parents as real directories and refuses a symlinked or file parent', async () => {
    const root = await tempDir('convoy-paths-');
    const outside = await tempDir('convoy-paths-outside-');
    expect(await ensureRealParents(root, 'a/b/c', refuse)).toBe(true);
    expect((await lstat(path.join(root, 'a', 'b'))).isDirectory()).toBe(true);
    await symlink(outside, path.join(root, 'link'));
    await expect(ensureRealParents(root, 'link/x/y', refuse)).rejects.toThrow('refused: goes through link, which is a symlink');
    await writeFile(path.join(root, 'file'), '');
    await expect(ensureRealParents(root, 'file/y', refuse)).rejects.toThrow('refused: goes through file, which is not a directory');
    await expect(ensureRealParents(root, 'missing/y', refuse, { create: false })).rejects.toThrow('refers to missing, which does not exist');
    expect(await ensureRealParents(root, 'missing/y', refuse, { create: false, missingOk: true })).toBe(false);
    await expect(lstat(path.join(outside, 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('makes a directory, accepts a real one and refuses a symlink to one', async () => {
    const root = await tempDir('convoy-paths-');
    const outside = await tempDir('convoy-paths-outside-');
    await makeRealDirectory(path.join(root, 'd'), refuse);
    await makeRealDirectory(path.join(root, 'd'), refuse);
    await symlink(outside, path.join(root, 'l'));
    await expect(makeRealDirectory(path.join(root, 'l'), refuse)).rejects.toThrow('refused: is a symlink where a directory is needed');
  });

  it('opens a regular file without truncating it, and refuses a symlink or a fifo', async () => {
    const root = await tempDir('convoy-paths-');
    const outside = await tempDir('convoy-paths-outside-');
    await writeFile(path.join(root, 'kept'), 'data');
    await (await openRealFile(path.join(root, 'kept'), refuse)).close();
    expect(await readFile(path.join(root, 'kept'), 'utf8')).toBe('data');
    await (await openRealFile(path.join(root, 'new'), refuse)).close();
    expect((await lstat(path.join(root, 'new'))).isFile()).toBe(true);

    await symlink(path.join(outside, 'target'), path.join(root, 'dangling'));
    await expect(openRealFile(path.join(root, 'dangling'), refuse)).rejects.toThrow('refused: is a symlink');
    await expect(lstat(path.join(outside, 'target'))).rejects.toMatchObject({ code: 'ENOENT' });
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    await expect(openRealFile(path.join(root, 'fifo'), refuse)).rejects.toThrow(); // never blocks waiting for a reader
    await mkdir(path.join(root, 'dir'));
    await expect(openRealFile(path.join(root, 'dir'), refuse)).rejects.toThrow();
  });
});
