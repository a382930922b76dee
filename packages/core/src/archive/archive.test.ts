import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ConvoyError } from '../errors.js';
import { tempDirFactory } from '../testing/temp-dir.js';
import { extractTarSafely } from './extract-tar.js';
import { estimatePackedSize, packDirectory } from './pack-directory.js';

const freshDir = await tempDirFactory('convoy-archive-');

/** A tar built entry by entry, as an attacker would craft it. */
async function handMadeTar(entries: Array<{ header: tar.Headers; body?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const { header, body } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(root, rel))).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const stats = await fs.lstat(path.join(root, child));
      out.push(child);
      if (stats.isDirectory()) await walk(child);
    }
  };
  await walk('');
  return out;
}

async function expectRefused(tarBytes: Buffer, entryName: string): Promise<{ dest: string; outside: string }> {
  const base = await freshDir();
  const dest = path.join(base, 'dest');
  const outside = path.join(base, 'outside');
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'victim'), 'untouched');
  const err = await extractTarSafely(Readable.from([tarBytes]), dest).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConvoyError);
  expect((err as ConvoyError).code).toBe('INVALID_ARGUMENT');
  expect((err as ConvoyError).message).toContain(JSON.stringify(entryName));
  expect(await listTree(outside)).toEqual(['victim']);
  expect(await fs.readFile(path.join(outside, 'victim'), 'utf8')).toBe('untouched');
  expect(await listTree(base)).not.toContain('escaped');
  return { dest, outside };
}

describe('packDirectory + extractTarSafely round trip', () => {
  it('restores files, directories, symlinks, hard links, modes and mtimes exactly', async () => {
    const base = await freshDir();
    const src = path.join(base, 'src');
    await fs.mkdir(path.join(src, 'deep/er/still'), { recursive: true });
    const big = randomBytes(600 * 1024 + 7);
    await fs.writeFile(path.join(src, 'big.bin'), big);
    await fs.writeFile(path.join(src, 'empty'), '');
    await fs.writeFile(path.join(src, 'deep/er/still/note.txt'), 'hello');
    const longName = 'n'.repeat(120) + '.txt';
    await fs.writeFile(path.join(src, 'deep', longName), 'long');
    await fs.symlink('er/still/note.txt', path.join(src, 'deep/link-to-note'));
    await fs.link(path.join(src, 'big.bin'), path.join(src, 'hard-big'));
    await fs.chmod(path.join(src, 'deep/er/still/note.txt'), 0o640);
    await fs.mkdir(path.join(src, 'readonly'));
    await fs.writeFile(path.join(src, 'readonly/inside'), 'x');
    await fs.chmod(path.join(src, 'readonly'), 0o555);
    await fs.chmod(src, 0o700);
    const when = new Date('2020-02-02T02:02:02Z');
    await fs.utimes(path.join(src, 'empty'), when, when);
    await fs.utimes(path.join(src, 'deep/er'), when, when);

    const dest = path.join(base, 'dest');
    const report = await extractTarSafely(packDirectory(src), dest);

    expect(report.bytes).toBe(big.length + 5 + 4 + 1);
    expect(await listTree(dest)).toEqual(await listTree(src));
    // Buffer.equals: vitest's element-by-element toEqual takes seconds on 600 KB.
    expect((await fs.readFile(path.join(dest, 'big.bin'))).equals(big)).toBe(true);
    expect(await fs.readFile(path.join(dest, 'deep', longName), 'utf8')).toBe('long');
    expect(await fs.readlink(path.join(dest, 'deep/link-to-note'))).toBe('er/still/note.txt');
    const [a, b] = await Promise.all([fs.stat(path.join(dest, 'big.bin')), fs.stat(path.join(dest, 'hard-big'))]);
    expect(a.ino).toBe(b.ino);
    expect((await fs.stat(path.join(dest, 'deep/er/still/note.txt'))).mode & 0o777).toBe(0o640);
    expect((await fs.stat(path.join(dest, 'readonly'))).mode & 0o777).toBe(0o555);
    expect((await fs.stat(dest)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dest, 'empty'))).mtime.getTime()).toBe(when.getTime());
    expect((await fs.stat(path.join(dest, 'deep/er'))).mtime.getTime()).toBe(when.getTime());
    await fs.chmod(path.join(src, 'readonly'), 0o755);
    await fs.chmod(path.join(dest, 'readonly'), 0o755);
  });

  it('skips sockets and fifos, reporting each, so the archive stays restorable', async () => {
    const base = await freshDir();
    const src = path.join(base, 'src');
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, 'kept'), 'data');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(src, 'pipe')]);
    const skipped: string[] = [];
    await extractTarSafely(packDirectory(src, { onSkip: (rel, kind) => skipped.push(`${rel}:${kind}`) }), path.join(base, 'dest'));
    expect(skipped).toEqual(['pipe:fifo']);
    expect(await listTree(path.join(base, 'dest'))).toEqual(['kept']);
  });

  it('fails the stream with a clear error when the directory does not exist', async () => {
    const base = await freshDir();
    const chunks = packDirectory(path.join(base, 'missing')).toArray();
    await expect(chunks).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('extractTarSafely refuses hostile archives and writes nothing outside', () => {
  it('refuses a ".." path', async () => {
    await expectRefused(await handMadeTar([{ header: { name: '../escaped', type: 'file' }, body: 'x' }]), '../escaped');
  });

  it('refuses a ".." hidden in the middle of a path', async () => {
    await expectRefused(await handMadeTar([{ header: { name: 'a/../../escaped', type: 'file' }, body: 'x' }]), 'a/../../escaped');
  });

  it('refuses an absolute path', async () => {
    const { outside } = await expectRefused(await handMadeTar([{ header: { name: '/tmp/escaped', type: 'file' }, body: 'x' }]), '/tmp/escaped');
    expect(outside).toBeTruthy();
  });

  it('restores symlinks verbatim wherever they point: links are data', async () => {
    const base = await freshDir();
    const src = path.join(base, 'src');
    await fs.mkdir(path.join(src, 'd1/d2/d3/d4'), { recursive: true });
    const links: Record<string, string> = {
      etc: '/etc',
      pg_wal: '/var/lib/postgresql/wal',
      up: '../../outside',
      'd1/d2/d3/d4/l': '../../../..',
      'd1/d2/d3/d4/far': '../../../../../../..',
      dangling: 'no/such/file',
    };
    for (const [name, target] of Object.entries(links)) await fs.symlink(target, path.join(src, name));
    const dest = path.join(base, 'dest');
    await extractTarSafely(packDirectory(src), dest);
    for (const [name, target] of Object.entries(links)) expect(await fs.readlink(path.join(dest, name)), name).toBe(target);
  });

  it('never writes through a link pointing out, however it is reached', async () => {
    const hostile: Array<[string, Array<{ header: tar.Headers; body?: string }>]> = [
      [
        'evil/victim',
        [{ header: { name: 'evil', type: 'symlink', linkname: '../outside' } }, { header: { name: 'evil/victim', type: 'file' }, body: 'escaped' }],
      ],
      ['evil/victim', [{ header: { name: 'evil', type: 'symlink', linkname: '/' } }, { header: { name: 'evil/victim', type: 'file' }, body: 'escaped' }]],
      [
        'd1/d2/d3/d4/l/outside/victim',
        [
          { header: { name: 'd1/d2/d3/d4', type: 'directory' } },
          { header: { name: 'd1/d2/d3/d4/l', type: 'symlink', linkname: '../../../../..' } },
          { header: { name: 'd1/d2/d3/d4/l/outside/victim', type: 'file' }, body: 'escaped' },
        ],
      ],
      ['evil/sub', [{ header: { name: 'evil', type: 'symlink', linkname: '../outside' } }, { header: { name: 'evil/sub', type: 'directory' } }]],
      ['h', [{ header: { name: 'evil', type: 'symlink', linkname: '../outside' } }, { header: { name: 'h', type: 'link', linkname: 'evil/victim' } }]],
    ];
    for (const [refused, entries] of hostile) await expectRefused(await handMadeTar(entries), refused);
  });

  it('replaces a link pointing out with the file of the same name, leaving its target alone', async () => {
    const base = await freshDir();
    await fs.writeFile(path.join(base, 'victim'), 'untouched');
    const tarBytes = await handMadeTar([
      { header: { name: 'f', type: 'symlink', linkname: path.join(base, 'victim') } },
      { header: { name: 'f', type: 'file' }, body: 'new content' },
    ]);
    const dest = path.join(base, 'dest');
    await extractTarSafely(Readable.from([tarBytes]), dest);
    expect(await fs.readFile(path.join(dest, 'f'), 'utf8')).toBe('new content');
    expect(await fs.readFile(path.join(base, 'victim'), 'utf8')).toBe('untouched');
  });

  it('clears setuid and setgid bits of files unless told to keep them, and says which', async () => {
    const tarBytes = await handMadeTar([
      { header: { name: 'shell', type: 'file', mode: 0o4755 }, body: '#!/bin/sh' },
      { header: { name: 'grp', type: 'file', mode: 0o2750 }, body: 'g' },
      { header: { name: 'plain', type: 'file', mode: 0o640 }, body: 'p' },
      { header: { name: 'shared', type: 'directory', mode: 0o2775 } },
    ]);
    const base = await freshDir();
    const safe = await extractTarSafely(Readable.from([tarBytes]), path.join(base, 'safe'));
    expect(safe.setIdCleared).toEqual(['shell', 'grp']);
    const modes = async (dir: string) => Promise.all(['shell', 'grp', 'plain', 'shared'].map(async (f) => (await fs.stat(path.join(dir, f))).mode & 0o7777));
    expect(await modes(path.join(base, 'safe'))).toEqual([0o755, 0o750, 0o640, 0o2775]);
    const trusted = await extractTarSafely(Readable.from([tarBytes]), path.join(base, 'trusted'), { keepSetId: true });
    expect(trusted.setIdCleared).toEqual([]);
    expect(await modes(path.join(base, 'trusted'))).toEqual([0o4755, 0o2750, 0o640, 0o2775]);
  });

  it('refuses a hard link to a path outside', async () => {
    await expectRefused(await handMadeTar([{ header: { name: 'h', type: 'link', linkname: '../outside/victim' } }]), 'h');
  });

  it('refuses a hard link to an absolute path', async () => {
    await expectRefused(await handMadeTar([{ header: { name: 'h', type: 'link', linkname: '/etc/passwd' } }]), 'h');
  });

  it('refuses device nodes and fifos', async () => {
    await expectRefused(await handMadeTar([{ header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }]), 'null');
    await expectRefused(await handMadeTar([{ header: { name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 } }]), 'disk');
    await expectRefused(await handMadeTar([{ header: { name: 'pipe', type: 'fifo' } }]), 'pipe');
  });

  it('never writes through a symlink it extracted earlier, even one pointing inside', async () => {
    const tarBytes = await handMadeTar([
      { header: { name: 'sub', type: 'directory' } },
      { header: { name: 'alias', type: 'symlink', linkname: 'sub' } },
      { header: { name: 'alias/file', type: 'file' }, body: 'through the link' },
    ]);
    const { dest } = await expectRefused(tarBytes, 'alias/file');
    expect(await listTree(path.join(dest, 'sub'))).toEqual([]);
  });

  it('replaces an earlier symlink with a file instead of writing through it', async () => {
    const base = await freshDir();
    await fs.writeFile(path.join(base, 'victim'), 'untouched');
    const tarBytes = await handMadeTar([
      { header: { name: 'f', type: 'symlink', linkname: 'g' } },
      { header: { name: 'g', type: 'file' }, body: 'g' },
      { header: { name: 'f', type: 'file' }, body: 'new content' },
    ]);
    const dest = path.join(base, 'dest');
    await extractTarSafely(Readable.from([tarBytes]), dest);
    expect((await fs.lstat(path.join(dest, 'f'))).isFile()).toBe(true);
    expect(await fs.readFile(path.join(dest, 'f'), 'utf8')).toBe('new content');
    expect(await fs.readFile(path.join(dest, 'g'), 'utf8')).toBe('g');
  });

  it('refuses a hard link to something the archive never created', async () => {
    await expectRefused(await handMadeTar([{ header: { name: 'h', type: 'link', linkname: 'nowhere' } }]), 'h');
  });

  it('calls garbage CORRUPT', async () => {
    const base = await freshDir();
    const junk = Buffer.alloc(2048, 0x41);
    await expect(extractTarSafely(Readable.from([junk]), path.join(base, 'dest'))).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('calls a truncated archive CORRUPT', async () => {
    const base = await freshDir();
    const whole = await handMadeTar([{ header: { name: 'f', type: 'file' }, body: 'x'.repeat(5000) }]);
    await expect(extractTarSafely(Readable.from([whole.subarray(0, 1500)]), path.join(base, 'dest'))).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});

describe('estimatePackedSize', () => {
  it("is the packed tar's length for ordinary names, from metadata only (what backup progress measures against)", async () => {
    const dir = await freshDir();
    await fs.mkdir(path.join(dir, 'base/16384'), { recursive: true });
    await fs.writeFile(path.join(dir, 'PG_VERSION'), '16\n');
    await fs.writeFile(path.join(dir, 'base/16384/table'), randomBytes(300 * 1024 + 7));
    await fs.writeFile(path.join(dir, 'empty'), '');
    await fs.symlink('PG_VERSION', path.join(dir, 'link'));
    let packed = 0;
    for await (const chunk of packDirectory(dir)) packed += (chunk as Buffer).length;
    expect(await estimatePackedSize(dir)).toBe(packed);
  });

  it('is the bare tar frame for a missing directory rather than failing (progress only)', async () => {
    expect(await estimatePackedSize(path.join(await freshDir(), 'gone'))).toBe(1536);
  });
});
