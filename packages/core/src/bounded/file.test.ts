import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readJsonFile } from '../state/atomic-file.js';
import { tempDir } from '../testing/temp-dir.js';
import { readBoundedFile } from './file.js';

const dir = await tempDir('convoy-bounded-file-');
const read = (file: string) => readBoundedFile(file, { what: 'the test file', maxBytes: 1024 });

describe('readBoundedFile', () => {
  it('reads a file up to the bound, exactly', async () => {
    const file = path.join(dir, 'exact');
    await writeFile(file, Buffer.alloc(1024, 7));
    expect(await read(file)).toEqual(Buffer.alloc(1024, 7));
  });

  it('refuses a file one byte over the bound, and a huge sparse one, without reading it', async () => {
    const file = path.join(dir, 'over');
    await writeFile(file, Buffer.alloc(1025));
    await expect(read(file)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/the test file .*over is larger than the 1024 bytes/),
    });
    await truncate(file, 2 ** 40);
    await expect(read(file)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses devices and directories, and names a missing file NOT_FOUND', async () => {
    await expect(read('/dev/zero')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('/dev/zero is not a regular file (a character device)'),
    });
    await expect(read(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('a directory') });
    await expect(read(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope') });
  });

  it('reads a pipe up to the bound and stops an endless one there', async () => {
    const small = path.join(dir, 'small.fifo');
    await promisify(execFile)('mkfifo', [small]);
    const writing = new Promise<void>((resolve) => createWriteStream(small).end(Buffer.from('key bytes'), resolve));
    expect((await read(small)).toString()).toBe('key bytes');
    await writing;

    const endless = path.join(dir, 'endless.fifo');
    await promisify(execFile)('mkfifo', [endless]);
    const writer = createWriteStream(endless);
    writer.on('error', () => undefined); // EPIPE once the reader gives up
    const chunk = Buffer.alloc(4096);
    const pump = (): void => {
      while (writer.write(chunk));
      writer.once('drain', pump);
    };
    writer.once('open', pump);
    await expect(read(endless)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('larger than the 1024 bytes') });
    writer.destroy();
  });

  it("bounds the daemon's state files too: a huge one or a device is a STATE_ERROR naming it, a missing one is absent", async () => {
    const state = path.join(dir, 'state.json');
    await writeFile(state, '{}');
    await truncate(state, 2 ** 40);
    await expect(readJsonFile(state)).rejects.toMatchObject({ code: 'STATE_ERROR', message: expect.stringContaining(`state file ${state} is larger than`) });
    await expect(readJsonFile('/dev/zero')).rejects.toMatchObject({ code: 'STATE_ERROR' });
    expect(await readJsonFile(path.join(dir, 'absent.json'))).toBeUndefined();
  });
});
