import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConvoyError } from './errors.js';
import { createJsonLogger } from './log.js';
import { tempDirFactory } from './testing/temp-dir.js';

const freshDir = await tempDirFactory('convoy-log-');

describe('createJsonLogger', () => {
  it('appends one JSON object per line at or above its level, with base and child fields and readable errors', async () => {
    const file = path.join(await freshDir(), 'convoy.log');
    const log = createJsonLogger({ file, level: 'info', base: { component: 'daemon' } });
    log.debug('dropped');
    log.info('volume created', { volume: 'v1' });
    log.child({ driver: 'vfs' }).error('mount failed', { err: new ConvoyError('BUSY', 'in use') });
    log.warn('plain error', { err: new Error('boom'), size: 10n });
    log.close();
    log.error('after close is dropped');
    const lines = (await readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'volume created', component: 'daemon', volume: 'v1' });
    expect(Number.isNaN(Date.parse(lines[0].time))).toBe(false);
    expect(lines[1]).toMatchObject({ level: 'error', driver: 'vfs', component: 'daemon', err: { code: 'BUSY', message: 'in use' } });
    expect(lines[2]).toMatchObject({ level: 'warn', err: { name: 'Error', message: 'boom' }, size: '10' });
  });

  it('refuses an unknown level and an unwritable file with INVALID_ARGUMENT', async () => {
    expect(() => createJsonLogger({ level: 'loud' as 'info' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const dir = await freshDir();
    expect(() => createJsonLogger({ file: path.join(dir, 'missing-dir', 'x.log') })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
